CREATE TABLE "default_rule_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"seeded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "moderation_log" (
	"id" uuid PRIMARY KEY NOT NULL,
	"actor_id" uuid,
	"actor_handle" text,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text NOT NULL,
	"reason" text,
	"details" jsonb,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "moderator_boards" (
	"account_id" uuid NOT NULL,
	"board_slug" text NOT NULL,
	CONSTRAINT "moderator_boards_account_id_board_slug_pk" PRIMARY KEY("account_id","board_slug")
);
--> statement-breakpoint
CREATE TABLE "queue_items" (
	"id" uuid PRIMARY KEY NOT NULL,
	"post_id" uuid NOT NULL,
	"board_slug" text NOT NULL,
	"priority" integer NOT NULL,
	"status" text NOT NULL,
	"reasons" jsonb NOT NULL,
	"claimed_by" uuid,
	"claim_expires_at" timestamp with time zone,
	"resolution" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "queue_items_status_check" CHECK ("queue_items"."status" in ('open', 'resolved'))
);
--> statement-breakpoint
CREATE TABLE "rule_set" (
	"id" integer PRIMARY KEY NOT NULL,
	"revision" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rules" (
	"id" uuid PRIMARY KEY NOT NULL,
	"pattern" text NOT NULL,
	"category" text NOT NULL,
	"action" text NOT NULL,
	"public_reason" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"default_key" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rules_category_check" CHECK ("rules"."category" in ('crisis', 'sourcing', 'personal_info', 'harassment', 'spam', 'custom')),
	CONSTRAINT "rules_action_check" CHECK ("rules"."action" in ('escalate', 'hold', 'flag', 'block', 'content_warning'))
);
--> statement-breakpoint
ALTER TABLE "moderator_boards" ADD CONSTRAINT "moderator_boards_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "moderator_boards" ADD CONSTRAINT "moderator_boards_board_slug_boards_slug_fk" FOREIGN KEY ("board_slug") REFERENCES "public"."boards"("slug") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "queue_items" ADD CONSTRAINT "queue_items_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."posts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "moderation_log_order_idx" ON "moderation_log" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "queue_items_open_post_idx" ON "queue_items" USING btree ("post_id") WHERE "queue_items"."status" = 'open';--> statement-breakpoint
CREATE INDEX "queue_items_order_idx" ON "queue_items" USING btree ("status","priority","created_at","id");