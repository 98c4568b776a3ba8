CREATE TABLE "event_retention" (
	"id" integer PRIMARY KEY NOT NULL,
	"purged_through" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"event" text NOT NULL,
	"data" jsonb NOT NULL,
	"restricted_to" uuid,
	"board_slug" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "events_channel_idx" ON "events" USING btree ("channel","id");--> statement-breakpoint
CREATE INDEX "events_created_idx" ON "events" USING btree ("created_at");--> statement-breakpoint
INSERT INTO event_retention (id, purged_through) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
