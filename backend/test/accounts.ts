import type { TestApp } from './app';

/** The newest mail to `to` from the dev mailbox, and the token in its link (if any). */
export async function lastMail(t: TestApp, to: string) {
  const res = await t.app.inject({ url: `/api/v1/dev/mailbox?to=${encodeURIComponent(to)}` });
  const mail = res.json().data[0] as { subject: string; text: string } | undefined;
  const token = mail?.text.match(/token=([A-Za-z0-9_-]+)/)?.[1];
  return { mail, token };
}

/** A different client address per call, so per-IP quotas don't couple unrelated tests. */
export const randomIp = () =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

export const strongPassword = 'correct horse battery staple';

/** Registers and verifies through the real endpoints; returns the API-client session. */
export async function signUp(t: TestApp, username: string, password = strongPassword) {
  const email = `${username}@example.test`;
  const reg = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, username, password },
    remoteAddress: randomIp(),
  });
  if (reg.statusCode !== 202) throw new Error(`register failed: ${reg.body}`);
  await t.settle();
  const { token } = await lastMail(t, email);
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/verify-email',
    payload: { token, client: 'api' },
  });
  if (res.statusCode !== 200) throw new Error(`verify failed: ${res.body}`);
  const data = res.json().data as {
    accessToken: string;
    refreshToken: string;
    user: { id: string };
  };
  return { email, password, ...data, headers: { authorization: `Bearer ${data.accessToken}` } };
}

/** Cookies from a response, as a `cookie` request header and by name. */
export function cookiesOf(res: { cookies: { name: string; value: string }[] }) {
  const byName = Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));
  const header = res.cookies
    .filter((c) => c.value)
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
  return { byName, header };
}
