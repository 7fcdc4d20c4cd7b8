import { z } from 'zod';
import { isoDateTime, uuid } from './common';

export const roles = ['user', 'moderator', 'admin'] as const;
export const role = z.enum(roles);
export type Role = z.infer<typeof role>;

/** 3–30 of a-z 0-9 _ . ; compared case-insensitively, stored as typed. */
export const username = z
  .string()
  .trim()
  .min(3, 'At least 3 characters')
  .max(30, 'At most 30 characters')
  .regex(/^[a-zA-Z0-9_.]+$/, 'Only letters, digits, "_" and "."');

export const email = z.string().trim().max(254).pipe(z.email('Enter a valid email address'));

/** 8–128 characters, never truncated; the server also refuses the 10k most common passwords. */
export const password = z
  .string()
  .min(8, 'At least 8 characters')
  .max(128, 'At most 128 characters');

export const countryCode = z.string().regex(/^[A-Z]{2}$/, 'Two-letter country code (ISO 3166-1)');

export const sizes = z.object({
  top: z.string().trim().max(20).nullable(),
  bottom: z.string().trim().max(20).nullable(),
  shoes: z.string().trim().max(20).nullable(),
});

export const imageVariant = z.object({ url: z.string(), width: z.number(), height: z.number() });

/** An avatar as served: variants once processed (the media pipeline), null when there is none. */
export const avatar = z
  .object({
    id: uuid,
    status: z.enum(['processing', 'ready', 'failed']),
    blurhash: z.string().nullable(),
    dominantColor: z.string().nullable(),
    variants: z.object({ thumb: imageVariant.nullable(), medium: imageVariant.nullable() }),
  })
  .nullable();

export const userSummary = z.object({
  id: uuid,
  username: z.string(),
  displayName: z.string().nullable(),
  avatar,
});
export type UserSummary = z.infer<typeof userSummary>;

export const publicProfile = userSummary
  .extend({
    bio: z.string().nullable(),
    city: z.string().nullable(),
    country: z.string().nullable(),
    sizes,
    counts: z.object({
      followers: z.number().int(),
      following: z.number().int(),
      listings: z.number().int(),
      sold: z.number().int(),
    }),
    followedByMe: z.boolean(),
    createdAt: isoDateTime,
  })
  .meta({ id: 'PublicProfile' });
export type PublicProfile = z.infer<typeof publicProfile>;

export const notificationTypes = [
  'follow.created',
  'item.liked',
  'item.commented',
  'favorite.reserved',
  'favorite.sold',
  'favorite.price_drop',
  'message.created',
  'offer.event',
  'saved_search.match',
] as const;
export const notificationType = z.enum(notificationTypes);

export const me = publicProfile
  .extend({
    email: z.string(),
    emailVerified: z.boolean(),
    role,
    location: z.object({ lat: z.number(), lng: z.number() }).nullable(),
    mutedNotificationTypes: z.array(notificationType),
  })
  .meta({ id: 'Me' });
export type Me = z.infer<typeof me>;

/** Fields a user may change on their own profile. Unknown fields are rejected. */
export const updateMeBody = z
  .object({
    displayName: z.string().trim().max(50).nullable(),
    bio: z.string().trim().max(500).nullable(),
    city: z.string().trim().max(80).nullable(),
    country: countryCode.nullable(),
    location: z
      .object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) })
      .nullable(),
    sizes: sizes.partial(),
    avatarUploadId: uuid.nullable(),
    mutedNotificationTypes: z.array(notificationType).max(notificationTypes.length),
    /** Changing these needs the current password. */
    email,
    password,
    currentPassword: z.string().max(128),
  })
  .partial()
  .strict();
export type UpdateMeBody = z.infer<typeof updateMeBody>;

export const deleteMeBody = z.object({ password: z.string().min(1).max(128) }).strict();

export const usernameParams = z.object({ username: z.string().min(1).max(30) });

export const session = z.object({
  id: uuid,
  userAgent: z.string().nullable(),
  ip: z.string().nullable(),
  createdAt: isoDateTime,
  lastUsedAt: isoDateTime,
  current: z.boolean(),
});
export type Session = z.infer<typeof session>;

export const exportJob = z.object({
  id: uuid,
  status: z.enum(['pending', 'ready', 'failed']),
  createdAt: isoDateTime,
  completedAt: isoDateTime.nullable(),
  downloadUrl: z.string().nullable(),
  expiresAt: isoDateTime.nullable(),
});
export type ExportJob = z.infer<typeof exportJob>;
