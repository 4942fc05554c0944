DROP INDEX "monitor_results_finished_at_idx";--> statement-breakpoint
ALTER TABLE "monitor_checks" ADD COLUMN "status_host" text;--> statement-breakpoint
CREATE INDEX "monitor_results_finished_at_outcome_idx" ON "monitor_results" USING btree ("finished_at","outcome");