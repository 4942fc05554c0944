ALTER TABLE "monitor_checks" ADD COLUMN "source" text;--> statement-breakpoint
ALTER TABLE "monitor_results" ADD COLUMN "source" text;