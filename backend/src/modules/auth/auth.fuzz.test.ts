import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';

const endpoints = [
  '/api/v1/auth/register',
  '/api/v1/auth/login',
  '/api/v1/auth/refresh',
  '/api/v1/auth/logout',
  '/api/v1/auth/verify-email',
  '/api/v1/auth/verify-email/resend',
  '/api/v1/auth/password/forgot',
  '/api/v1/auth/password/reset',
];

/** Plausible-looking fields with hostile values mixed in. */
const junkValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom(
    '',
    ' ',
    'a@b',
    "' OR 1=1 --",
    '\u0000',
    '{"$ne":null}',
    'x'.repeat(5000),
    'ä@ö.de',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);
const junkBody = fc.oneof(
  fc.record(
    {
      email: junkValue,
      username: junkValue,
      password: junkValue,
      newPassword: junkValue,
      token: junkValue,
      refreshToken: junkValue,
      client: junkValue,
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);
const junkHeaders = fc.record(
  {
    authorization: fc.oneof(
      fc.string(),
      fc.constant('Bearer '),
      fc.string().map((s) => `Bearer ${s}`),
    ),
    cookie: fc.oneof(
      fc.string(),
      fc.string().map((s) => `hanger_rt=${s}; csrf_token=${s}`),
    ),
    'x-csrf-token': fc.string(),
  },
  { requiredKeys: [] },
);

describe('auth endpoints under generated junk', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ worker: false });
  });
  afterAll(() => t.close());

  it.each(endpoints)('never answers 5xx on %s', async (url) => {
    await fc.assert(
      fc.asyncProperty(junkBody, junkHeaders, fc.boolean(), async (body, headers, raw) => {
        const res = await t.app.inject({
          method: 'POST',
          url,
          headers: { ...headers, 'content-type': 'application/json' },
          payload: raw
            ? String(JSON.stringify(body) ?? '').slice(0, -1)
            : JSON.stringify(body ?? null),
          remoteAddress: `10.1.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
        });
        expect(res.statusCode, res.body).toBeLessThan(500);
        if (res.body) expect(res.json().error?.code ?? 'ok').not.toBe('INTERNAL');
      }),
      { numRuns: 60 },
    );
  });
});
