import { z } from 'zod';
import { isoDateTime, pageQuery, uuid } from './common';
import { image } from './media';
import { countryCode, userSummary } from './users';

export const categories = [
  'tops',
  'bottoms',
  'dresses',
  'outerwear',
  'knitwear',
  'shoes',
  'bags',
  'accessories',
  'other',
] as const;
export const category = z.enum(categories);
export type Category = z.infer<typeof category>;

export const conditions = ['new_with_tags', 'like_new', 'good', 'fair'] as const;
export const condition = z.enum(conditions);
export type Condition = z.infer<typeof condition>;

/** `active ⇄ reserved → sold`; `hidden` by the seller (reversible) or a moderator. */
export const itemStatuses = ['active', 'reserved', 'sold', 'hidden'] as const;
export const itemStatus = z.enum(itemStatuses);
export type ItemStatus = z.infer<typeof itemStatus>;

export const MAX_ITEM_IMAGES = 20;
export const MAX_TAGS = 10;
export const MIN_PRICE_CENTS = 1;
export const MAX_PRICE_CENTS = 10_000_000;

const currencies = new Set(Intl.supportedValuesOf('currency'));

/** ISO 4217 alphabetic code, e.g. EUR. */
export const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'Three capital letters (ISO 4217)')
  .refine((c) => currencies.has(c), 'Not an ISO 4217 currency');

/** A tag: trimmed, lower-cased, a leading "#" dropped. */
export const tag = z
  .string()
  .trim()
  .transform((t) => t.replace(/^#+/, '').toLowerCase())
  .pipe(z.string().min(1, 'Empty tag').max(30, 'At most 30 characters'));

export const tagList = z
  .array(tag)
  .max(MAX_TAGS, `At most ${MAX_TAGS} tags`)
  .transform((tags) => [...new Set(tags)]);

/** Where the item is: a city/country for people, coordinates for radius search. */
export const itemLocationInput = z
  .object({
    city: z.string().trim().min(1).max(80).nullable().optional(),
    country: countryCode.nullable().optional(),
    lat: z.number().min(-90).max(90).nullable().optional(),
    lng: z.number().min(-180).max(180).nullable().optional(),
  })
  .strict()
  .refine((l) => (l.lat == null) === (l.lng == null), 'Give both lat and lng, or neither');

export const itemLocation = z
  .object({
    city: z.string().nullable(),
    country: z.string().nullable(),
    /** Rounded to 2 decimals (about 1 km): enough for distance, not a doorstep. */
    lat: z.number().nullable(),
    lng: z.number().nullable(),
  })
  .nullable();

const imageUploadIds = z
  .array(uuid)
  .min(1, 'At least one photo')
  .max(MAX_ITEM_IMAGES, `At most ${MAX_ITEM_IMAGES} photos`)
  .refine((ids) => new Set(ids).size === ids.length, 'A photo is listed twice');

const itemFields = {
  title: z.string().trim().min(1).max(80),
  description: z.string().trim().max(2000),
  category,
  brand: z.string().trim().min(1).max(60),
  size: z.string().trim().min(1).max(20),
  condition,
  priceCents: z.number().int().min(MIN_PRICE_CENTS).max(MAX_PRICE_CENTS),
  currency,
  location: itemLocationInput.nullable().optional(),
  tags: tagList.optional(),
  /** Uploads (purpose `item_image`) owned by the caller, in display order. */
  imageUploadIds,
};

export const createItemBody = z.object(itemFields).strict().meta({ id: 'CreateItem' });
export type CreateItemBody = z.input<typeof createItemBody>;

/** Any subset of the fields, plus a status change. `imageUploadIds` replaces the photos, in order. */
export const updateItemBody = z
  .object({ ...itemFields, status: itemStatus })
  .partial()
  .strict()
  .meta({ id: 'UpdateItem' });
export type UpdateItemBody = z.input<typeof updateItemBody>;

export const item = z
  .object({
    id: uuid,
    seller: userSummary,
    title: z.string(),
    description: z.string(),
    category,
    brand: z.string(),
    size: z.string(),
    condition,
    priceCents: z.number().int(),
    currency: z.string(),
    /** The price before the last decrease, when the price dropped (for "was €40" labels). */
    previousPriceCents: z.number().int().nullable(),
    status: itemStatus,
    location: itemLocation,
    tags: z.array(z.string()),
    likeCount: z.number().int(),
    favoriteCount: z.number().int(),
    commentCount: z.number().int(),
    likedByMe: z.boolean(),
    favoritedByMe: z.boolean(),
    images: z.array(image),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'Item' });
export type Item = z.infer<typeof item>;

export const userItemsQuery = pageQuery.extend({ status: itemStatus.optional() });
export type UserItemsQuery = z.infer<typeof userItemsQuery>;
