-- Namespaces: a monitor id is unique per namespace. Every row written before this belongs to `default`.
ALTER TABLE "monitor_results" ADD COLUMN "namespace" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "monitor_checks" ADD COLUMN "namespace" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "monitor_notifications" ADD COLUMN "namespace" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "monitor_results" DROP CONSTRAINT "monitor_results_pkey";--> statement-breakpoint
ALTER TABLE "monitor_checks" DROP CONSTRAINT "monitor_checks_monitor_id_seq_pk";--> statement-breakpoint
ALTER TABLE "monitor_notifications" DROP CONSTRAINT "monitor_notifications_monitor_id_channel_pk";--> statement-breakpoint
ALTER TABLE "monitor_results" ADD CONSTRAINT "monitor_results_namespace_monitor_id_pk" PRIMARY KEY("namespace","monitor_id");--> statement-breakpoint
ALTER TABLE "monitor_checks" ADD CONSTRAINT "monitor_checks_namespace_monitor_id_seq_pk" PRIMARY KEY("namespace","monitor_id","seq");--> statement-breakpoint
ALTER TABLE "monitor_notifications" ADD CONSTRAINT "monitor_notifications_namespace_monitor_id_channel_pk" PRIMARY KEY("namespace","monitor_id","channel");
