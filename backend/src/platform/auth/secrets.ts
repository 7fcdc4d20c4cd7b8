import { createHash, randomBytes } from 'node:crypto';

/** An opaque token with 256 random bits, URL-safe. */
export const newOpaqueToken = (): string => randomBytes(32).toString('base64url');

/** Tokens are stored only as their SHA-256 (they are high-entropy, so no salt or KDF is needed). */
export const hashToken = (token: string): string =>
  createHash('sha256').update(token).digest('hex');
