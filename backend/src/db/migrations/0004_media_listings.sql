CREATE TABLE "uploads" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"original_key" text NOT NULL,
	"detected_type" text,
	"width" integer,
	"height" integer,
	"blurhash" text,
	"dominant_color" text,
	"variants" jsonb,
	"failure_reason" text,
	"attached_at" timestamp with time zone,
	"processed_at" timestamp with time zone,
	"released_at" timestamp with time zone,
	"purged_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "uploads_size_positive" CHECK ("uploads"."size_bytes" > 0)
);
--> statement-breakpoint
CREATE TABLE "brands" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "item_images" (
	"item_id" uuid NOT NULL,
	"upload_id" uuid NOT NULL,
	"position" smallint NOT NULL,
	CONSTRAINT "item_images_item_id_position_pk" PRIMARY KEY("item_id","position")
);
--> statement-breakpoint
CREATE TABLE "item_price_history" (
	"id" uuid PRIMARY KEY NOT NULL,
	"item_id" uuid NOT NULL,
	"old_price_cents" integer NOT NULL,
	"new_price_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "items" (
	"id" uuid PRIMARY KEY NOT NULL,
	"seller_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"category" text NOT NULL,
	"brand_id" uuid NOT NULL,
	"size" text NOT NULL,
	"condition" text NOT NULL,
	"price_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"previous_price_cents" integer,
	"status" text DEFAULT 'active' NOT NULL,
	"hidden_by" text,
	"city" text,
	"country" text,
	"lat" double precision,
	"lng" double precision,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"like_count" integer DEFAULT 0 NOT NULL,
	"favorite_count" integer DEFAULT 0 NOT NULL,
	"comment_count" integer DEFAULT 0 NOT NULL,
	"status_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "items_price_range" CHECK ("items"."price_cents" between 1 and 10000000 and ("items"."previous_price_cents" is null or "items"."previous_price_cents" > "items"."price_cents")),
	CONSTRAINT "items_counts_non_negative" CHECK ("items"."like_count" >= 0 and "items"."favorite_count" >= 0 and "items"."comment_count" >= 0)
);
--> statement-breakpoint
ALTER TABLE "uploads" ADD CONSTRAINT "uploads_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_images" ADD CONSTRAINT "item_images_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_images" ADD CONSTRAINT "item_images_upload_id_uploads_id_fk" FOREIGN KEY ("upload_id") REFERENCES "public"."uploads"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_price_history" ADD CONSTRAINT "item_price_history_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "items" ADD CONSTRAINT "items_seller_id_users_id_fk" FOREIGN KEY ("seller_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "items" ADD CONSTRAINT "items_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "uploads_owner_created_idx" ON "uploads" USING btree ("owner_id","created_at");--> statement-breakpoint
CREATE INDEX "uploads_unattached_idx" ON "uploads" USING btree ("created_at") WHERE "uploads"."attached_at" is null;--> statement-breakpoint
CREATE INDEX "uploads_released_idx" ON "uploads" USING btree ("released_at") WHERE "uploads"."released_at" is not null and "uploads"."purged_at" is null;--> statement-breakpoint
CREATE INDEX "uploads_processing_idx" ON "uploads" USING btree ("updated_at") WHERE "uploads"."status" = 'processing';--> statement-breakpoint
CREATE UNIQUE INDEX "brands_key_key" ON "brands" USING btree ("key");--> statement-breakpoint
CREATE UNIQUE INDEX "item_images_upload_key" ON "item_images" USING btree ("upload_id");--> statement-breakpoint
CREATE INDEX "item_price_history_item_idx" ON "item_price_history" USING btree ("item_id","changed_at");--> statement-breakpoint
CREATE INDEX "items_seller_idx" ON "items" USING btree ("seller_id","id" DESC NULLS LAST) WHERE "items"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "items_seller_status_idx" ON "items" USING btree ("seller_id","status","id" DESC NULLS LAST) WHERE "items"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "items_brand_idx" ON "items" USING btree ("brand_id") WHERE "items"."deleted_at" is null;