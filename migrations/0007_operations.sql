-- Operations: a record may have no job id (a failed start, or a watched URL), and keeps what its start answered.
ALTER TABLE "monitor_results" ALTER COLUMN "job_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "monitor_results" ADD COLUMN "operation" jsonb;