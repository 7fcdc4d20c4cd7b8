/**
 * The schema index: every table of every module, for Drizzle's query builder and drizzle-kit.
 * Modules import their own tables directly; only this file and migrations see all of them.
 */
export * from '../outbox/outbox.table';
export * from '../mail/mail.table';
export * from '../../modules/users/users.table';
export * from '../../modules/auth/auth.table';
export * from '../../modules/social/social.table';
export * from '../../modules/notifications/notifications.table';
export * from '../../modules/media/media.table';
export * from '../../modules/listings/listings.table';
export * from '../../modules/comments/comments.table';
export * from '../../modules/search/search.table';
export * from '../../modules/feed/feed.table';
