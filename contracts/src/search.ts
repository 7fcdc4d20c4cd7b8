import { z } from 'zod';
import { isoDateTime, uuid } from './common';
import { category, condition, item, MAX_PRICE_CENTS } from './listings';

export const searchSorts = ['relevance', 'newest', 'price_asc', 'price_desc'] as const;
export const searchSort = z.enum(searchSorts);
export type SearchSort = z.infer<typeof searchSort>;

/** Most values a multi-valued filter (`brand=a&brand=b` or `brand=a,b`) may carry. */
export const MAX_FILTER_VALUES = 20;
export const MAX_QUERY_LENGTH = 200;
export const MAX_RADIUS_KM = 500;

/** A filter given once, repeated (`size=M&size=L`) or comma-separated (`size=M,L`). */
const multi = <T extends z.ZodType<string>>(value: T) =>
  z
    .union([z.string().max(1000), z.array(z.string().max(1000)).max(MAX_FILTER_VALUES)])
    .transform((v) =>
      (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0),
    )
    .pipe(
      z
        .array(value)
        .max(MAX_FILTER_VALUES, `At most ${MAX_FILTER_VALUES} values`) as unknown as z.ZodType<
        z.output<T>[],
        string[]
      >,
    )
    .optional();

const price = z.coerce.number().int().min(0).max(MAX_PRICE_CENTS);
const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

/** The filters of a search, shared by `GET /search` and saved searches. */
const filterFields = {
  /** Websearch syntax: words, "quoted phrases", `-exclusion`, `or`. */
  q: z
    .string()
    .trim()
    .max(MAX_QUERY_LENGTH, `At most ${MAX_QUERY_LENGTH} characters`)
    .refine((q) => q === '' || /[\p{L}\p{N}]/u.test(q), 'Give at least one letter or digit')
    .optional(),
  category: category.optional(),
  brand: multi(z.string().min(1).max(60)),
  size: multi(z.string().min(1).max(20)),
  condition: multi(condition),
  priceMin: price.optional(),
  priceMax: price.optional(),
  lat: z.coerce.number().min(-90).max(90).optional(),
  lng: z.coerce.number().min(-180).max(180).optional(),
  radiusKm: z.coerce.number().positive().max(MAX_RADIUS_KM).optional(),
  /** A seller's id or username. */
  seller: z.string().trim().min(1).max(64).optional(),
  /** Include reserved items (default: active only). */
  includeReserved: flag.optional(),
};

type FilterShape = {
  priceMin?: number | undefined;
  priceMax?: number | undefined;
  lat?: number | undefined;
  lng?: number | undefined;
  radiusKm?: number | undefined;
};

function checkFilters(f: FilterShape, ctx: z.RefinementCtx) {
  if (f.priceMin !== undefined && f.priceMax !== undefined && f.priceMin > f.priceMax) {
    ctx.addIssue({ code: 'custom', path: ['priceMin'], message: 'priceMin is above priceMax' });
  }
  if ((f.lat === undefined) !== (f.lng === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['lat'], message: 'Give both lat and lng, or neither' });
  }
  if (f.radiusKm !== undefined && (f.lat === undefined || f.lng === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['radiusKm'],
      message: 'radiusKm needs a point: give lat and lng',
    });
  }
}

export const searchFilters = z.object(filterFields).strict().superRefine(checkFilters);
export type SearchFiltersInput = z.input<typeof searchFilters>;
export type SearchFilters = z.output<typeof searchFilters>;

export const searchQuery = z
  .object({
    ...filterFields,
    sort: searchSort.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(24),
    cursor: z.string().max(512).optional(),
  })
  .superRefine(checkFilters);
export type SearchQuery = z.output<typeof searchQuery>;

export const facetCount = z.object({ value: z.string(), count: z.number().int() });

/**
 * Disjunctive facets: each facet is counted with every filter applied except its own. Counts are
 * exact when `approximate` is false; otherwise they were counted over the newest `sampleSize`
 * matches and `total` reads "10,000+".
 */
export const searchFacets = z
  .object({
    category: z.array(facetCount),
    /** Top 20 brands by count. */
    brand: z.array(facetCount),
    size: z.array(facetCount),
    condition: z.array(facetCount),
    price: z.object({ min: z.number().int(), max: z.number().int() }).nullable(),
    total: z.number().int(),
    approximate: z.boolean(),
    sampleSize: z.number().int(),
  })
  .meta({ id: 'SearchFacets' });
export type SearchFacets = z.infer<typeof searchFacets>;

export const searchResponse = z
  .object({
    data: z.array(item),
    meta: z.object({
      nextCursor: z.string().nullable(),
      /** Only on the first page (no cursor). */
      facets: searchFacets.nullable(),
      /** Set when nothing matched the words as typed and a spelling-corrected query was used. */
      correctedQuery: z.string().nullable(),
    }),
  })
  .meta({ id: 'SearchResults' });
export type SearchResponse = z.infer<typeof searchResponse>;

export const brandsQuery = z.object({
  prefix: z.string().trim().max(60).default(''),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});
export const brandSuggestion = z
  .object({ name: z.string(), itemCount: z.number().int() })
  .meta({ id: 'BrandSuggestion' });
export type BrandSuggestion = z.infer<typeof brandSuggestion>;

export const MAX_SAVED_SEARCHES = 50;

export const createSavedSearchBody = z
  .object({
    name: z.string().trim().min(1).max(80).optional(),
    filters: searchFilters,
  })
  .strict()
  .meta({ id: 'CreateSavedSearch' });
export type CreateSavedSearchBody = z.input<typeof createSavedSearchBody>;

/** Filters as stored and echoed back (normalised arrays, no transforms). */
export const savedSearchFilters = z.object({
  q: z.string().optional(),
  category: category.optional(),
  brand: z.array(z.string()).optional(),
  size: z.array(z.string()).optional(),
  condition: z.array(condition).optional(),
  priceMin: z.number().int().optional(),
  priceMax: z.number().int().optional(),
  lat: z.number().optional(),
  lng: z.number().optional(),
  radiusKm: z.number().optional(),
  seller: z.string().optional(),
  includeReserved: z.boolean().optional(),
});

export const savedSearch = z
  .object({
    id: uuid,
    name: z.string(),
    filters: savedSearchFilters,
    createdAt: isoDateTime,
    lastNotifiedAt: isoDateTime.nullable(),
  })
  .meta({ id: 'SavedSearch' });
export type SavedSearch = z.infer<typeof savedSearch>;
