CREATE TABLE "monitor_results" (
	"monitor_id" text PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"outcome" text NOT NULL,
	"job_status" text,
	"polls" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone NOT NULL,
	"detail" jsonb,
	"metadata" jsonb,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "monitor_results_outcome_check" CHECK ("monitor_results"."outcome" in ('completed', 'failed', 'canceled', 'expired', 'errored'))
);
--> statement-breakpoint
CREATE INDEX "monitor_results_job_id_idx" ON "monitor_results" USING btree ("job_id");--> statement-breakpoint
CREATE INDEX "monitor_results_finished_at_idx" ON "monitor_results" USING btree ("finished_at");