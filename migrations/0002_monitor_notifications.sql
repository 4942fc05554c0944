CREATE TABLE "monitor_notifications" (
	"monitor_id" text NOT NULL,
	"channel" text NOT NULL,
	"target" text NOT NULL,
	"body" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"give_up_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone,
	"gave_up_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "monitor_notifications_monitor_id_channel_pk" PRIMARY KEY("monitor_id","channel"),
	CONSTRAINT "monitor_notifications_channel_check" CHECK ("monitor_notifications"."channel" in ('webhook', 'queue'))
);
--> statement-breakpoint
CREATE INDEX "monitor_notifications_due_idx" ON "monitor_notifications" USING btree ("next_attempt_at") WHERE "monitor_notifications"."delivered_at" is null and "monitor_notifications"."gave_up_at" is null;