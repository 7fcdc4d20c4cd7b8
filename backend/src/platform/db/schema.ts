/**
 * The schema index: every table of every module, for Drizzle's query builder and drizzle-kit.
 * Modules import their own tables directly; only this file and migrations see all of them.
 */
export * from '../outbox/outbox.table';
export * from '../../modules/users/users.table';
export * from '../../modules/auth/auth.table';
