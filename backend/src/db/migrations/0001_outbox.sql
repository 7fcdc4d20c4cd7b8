CREATE TABLE "outbox_jobs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"payload" jsonb NOT NULL,
	"traceparent" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"enqueued_at" timestamp with time zone,
	"enqueue_count" integer DEFAULT 0 NOT NULL,
	"completed_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	"last_error" text
);
--> statement-breakpoint
CREATE INDEX "outbox_jobs_pending_idx" ON "outbox_jobs" USING btree ("created_at") WHERE "outbox_jobs"."completed_at" is null and "outbox_jobs"."failed_at" is null;--> statement-breakpoint
CREATE INDEX "outbox_jobs_completed_idx" ON "outbox_jobs" USING btree ("completed_at");