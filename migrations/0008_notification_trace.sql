ALTER TABLE "monitor_notifications" ADD COLUMN "traceparent" text;--> statement-breakpoint
ALTER TABLE "monitor_notifications" ADD COLUMN "tracestate" text;