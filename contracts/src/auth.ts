import { z } from 'zod';
import { me } from './users';
import { email, password, username } from './users';

export const registerBody = z.object({ email, username, password }).strict();
export type RegisterBody = z.infer<typeof registerBody>;

/**
 * Register answers the same for a new and an already-registered email (no enumeration): the
 * account is created unverified and a verification mail is sent; verifying signs the user in.
 */
export const registerResponse = z.object({
  data: z.object({ status: z.literal('verification_sent'), email: z.string() }),
});

/** `client: "api"` returns the refresh token in the body and sets no cookies (non-browser clients). */
export const sessionClient = z.enum(['browser', 'api']).default('browser');

export const loginBody = z
  .object({
    email: z.string().trim().max(254),
    password: z.string().max(128),
    client: sessionClient,
  })
  .strict();

/** Login, verify-email and refresh: the user and a short-lived access token (cookies also set). */
export const sessionResponse = z.object({
  data: z.object({
    user: me,
    accessToken: z.string(),
    accessTokenExpiresAt: z.iso.datetime(),
    csrfToken: z.string(),
    /** Only for `client: "api"`; browsers keep it in an HttpOnly cookie. */
    refreshToken: z.string().optional(),
  }),
});
export type SessionResponse = z.infer<typeof sessionResponse>;

/** API clients without cookies send the refresh token in the body. */
export const refreshBody = z.object({ refreshToken: z.string().max(200).optional() }).strict();

export const tokenBody = z
  .object({ token: z.string().min(1).max(200), client: sessionClient })
  .strict();
export const forgotBody = z.object({ email: z.string().trim().max(254) }).strict();
export const resetBody = z
  .object({ token: z.string().min(1).max(200), newPassword: password })
  .strict();

export const acceptedResponse = z.object({ data: z.object({ status: z.literal('accepted') }) });

export const mailMessage = z.object({
  id: z.string(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  createdAt: z.iso.datetime(),
});
export type MailMessage = z.infer<typeof mailMessage>;

export const wsTicketResponse = z.object({
  data: z.object({ ticket: z.string(), expiresAt: z.iso.datetime() }),
});
