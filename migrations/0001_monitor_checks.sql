CREATE TABLE "monitor_checks" (
	"monitor_id" text NOT NULL,
	"seq" integer NOT NULL,
	"checked_at" timestamp with time zone NOT NULL,
	"status" text,
	"result" text NOT NULL,
	"reason" text,
	"error" text,
	"http_status" integer,
	"latency_ms" integer NOT NULL,
	"late_ms" integer NOT NULL,
	"source" text DEFAULT 'poll' NOT NULL,
	CONSTRAINT "monitor_checks_monitor_id_seq_pk" PRIMARY KEY("monitor_id","seq"),
	CONSTRAINT "monitor_checks_result_check" CHECK ("monitor_checks"."result" in ('running', 'terminal', 'failed'))
);
--> statement-breakpoint
CREATE INDEX "monitor_checks_checked_at_idx" ON "monitor_checks" USING btree ("checked_at");