CREATE TABLE "brand_popularity" (
	"brand_key" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"fold" text NOT NULL,
	"item_count" integer NOT NULL,
	"refreshed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "saved_search_hits" (
	"saved_search_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"notified_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "saved_search_hits_saved_search_id_item_id_pk" PRIMARY KEY("saved_search_id","item_id")
);
--> statement-breakpoint
CREATE TABLE "saved_searches" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"filters" text NOT NULL,
	"q" text,
	"category" text,
	"brand_keys" text[] NOT NULL,
	"size_keys" text[] NOT NULL,
	"conditions" text[] NOT NULL,
	"price_min" integer,
	"price_max" integer,
	"lat" double precision,
	"lng" double precision,
	"radius_km" real,
	"seller_id" uuid,
	"last_notified_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "search_items" (
	"item_id" uuid PRIMARY KEY NOT NULL,
	"seller_id" uuid NOT NULL,
	"title" text NOT NULL,
	"brand" text NOT NULL,
	"brand_key" text NOT NULL,
	"description" text NOT NULL,
	"tags" text[] NOT NULL,
	"category" text NOT NULL,
	"size" text NOT NULL,
	"size_key" text NOT NULL,
	"condition" text NOT NULL,
	"price_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"lat" double precision,
	"lng" double precision,
	"like_count" integer DEFAULT 0 NOT NULL,
	"favorite_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"indexed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"document" "tsvector" GENERATED ALWAYS AS (hanger_search_vector(title, brand, description, tags)) STORED
);
--> statement-breakpoint
CREATE TABLE "search_terms" (
	"term" text PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE TABLE "feed_timelines" (
	"user_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	CONSTRAINT "feed_timelines_user_id_item_id_pk" PRIMARY KEY("user_id","item_id")
);
--> statement-breakpoint
ALTER TABLE "saved_search_hits" ADD CONSTRAINT "saved_search_hits_saved_search_id_saved_searches_id_fk" FOREIGN KEY ("saved_search_id") REFERENCES "public"."saved_searches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "saved_search_hits" ADD CONSTRAINT "saved_search_hits_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "saved_searches" ADD CONSTRAINT "saved_searches_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_items" ADD CONSTRAINT "search_items_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feed_timelines" ADD CONSTRAINT "feed_timelines_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "brand_popularity_fold_idx" ON "brand_popularity" USING btree ("fold" text_pattern_ops,"item_count");--> statement-breakpoint
CREATE INDEX "saved_searches_user_idx" ON "saved_searches" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "search_items_document_idx" ON "search_items" USING gin ("document");--> statement-breakpoint
CREATE INDEX "search_items_newest_idx" ON "search_items" USING btree ("status","item_id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "search_items_price_idx" ON "search_items" USING btree ("status","price_cents","item_id");--> statement-breakpoint
CREATE INDEX "search_items_seller_idx" ON "search_items" USING btree ("seller_id","item_id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "search_items_lat_idx" ON "search_items" USING btree ("lat");--> statement-breakpoint
CREATE INDEX "search_items_popular_idx" ON "search_items" USING btree (("like_count" + 2 * "favorite_count") desc,"item_id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "search_terms_trgm_idx" ON "search_terms" USING gin ("term" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "feed_timelines_item_idx" ON "feed_timelines" USING btree ("item_id");