-- Extensions and text-search objects shared by every feature. They must behave the same on
-- PGlite (PostgreSQL 18) and on PostgreSQL 15-17; platform/db/search-sql.test.ts proves it on both.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS unaccent;
--> statement-breakpoint
-- "simple" (no stemming, no stop words: brand names and sizes survive) with accents folded.
CREATE TEXT SEARCH CONFIGURATION public.hanger_search (COPY = pg_catalog.simple);
--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION public.hanger_search
  ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
  WITH public.unaccent, pg_catalog.simple;
--> statement-breakpoint
-- Weighted document: title and brand rank highest (A), description and tags next (B).
CREATE FUNCTION public.hanger_search_vector(title text, brand text, description text, tags text[])
RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT setweight(to_tsvector('public.hanger_search', coalesce(title, '') || ' ' || coalesce(brand, '')), 'A')
      || setweight(to_tsvector('public.hanger_search',
           coalesce(description, '') || ' ' || coalesce(array_to_string(tags, ' '), '')), 'B')
$$;
--> statement-breakpoint
-- Accent- and case-folded text for trigram indexes (typo tolerance, autocomplete).
CREATE FUNCTION public.hanger_fold(value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, coalesce(value, ''))) $$;
