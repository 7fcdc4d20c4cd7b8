import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, setUnauthorizedHandler } from './api';

type Call = { url: string; method: string; headers: Record<string, string> };

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}
const unauth = () =>
  json(401, {
    error: { code: 'UNAUTHENTICATED', message: 'Your session has expired', requestId: 'r' },
  });

describe('api client', () => {
  let calls: Call[];
  let onUnauthorized: ReturnType<typeof vi.fn<(returnTo: string) => void>>;

  beforeEach(() => {
    calls = [];
    onUnauthorized = vi.fn<(returnTo: string) => void>();
    setUnauthorizedHandler(onUnauthorized);
    document.cookie = 'csrf_token=tok123; path=/';
    window.history.replaceState(null, '', '/sell?draft=1');
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    document.cookie = 'csrf_token=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
  });

  function stubFetch(responder: (c: Call, n: number) => Response) {
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string, init: RequestInit) => {
        const c = {
          url,
          method: init.method ?? 'GET',
          headers: init.headers as Record<string, string>,
        };
        calls.push(c);
        return Promise.resolve(responder(c, calls.length));
      }),
    );
  }

  it('sends the csrf_token cookie as x-csrf-token on unsafe methods only', async () => {
    stubFetch(() => json(200, { data: { ok: true } }));
    await api('/items', { method: 'POST', json: { a: 1 } });
    await api('/items/1');
    expect(calls[0]!.headers['x-csrf-token']).toBe('tok123');
    expect(calls[0]!.headers['content-type']).toBe('application/json');
    expect(calls[1]!.headers['x-csrf-token']).toBeUndefined();
  });

  it('on a 401 refreshes once and retries the request, without redirecting', async () => {
    stubFetch((c, n) =>
      n === 1
        ? unauth()
        : c.url.endsWith('/auth/refresh')
          ? json(200, { data: {} })
          : json(200, { data: { id: 'x' } }),
    );
    const res = await api<{ data: { id: string } }>('/me/favorites');
    expect(res.data.id).toBe('x');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /api/v1/me/favorites',
      'POST /api/v1/auth/refresh',
      'GET /api/v1/me/favorites',
    ]);
    expect(calls[1]!.headers['x-csrf-token']).toBe('tok123');
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('when the refresh fails, sends the user to login with the page to come back to', async () => {
    stubFetch(() => unauth());
    await expect(api('/me/favorites')).rejects.toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    expect(calls.filter((c) => c.url.endsWith('/auth/refresh'))).toHaveLength(1);
    expect(onUnauthorized).toHaveBeenCalledExactlyOnceWith('/sell?draft=1');
  });

  it('when the retried request is still 401, redirects instead of refreshing again', async () => {
    stubFetch((c) => (c.url.endsWith('/auth/refresh') ? json(200, { data: {} }) : unauth()));
    await expect(api('/notifications')).rejects.toBeInstanceOf(ApiError);
    expect(calls).toHaveLength(3);
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it('shares one refresh between concurrent 401s', async () => {
    let first = 0;
    stubFetch((c) => {
      if (c.url.endsWith('/auth/refresh')) return json(200, { data: {} });
      first += 1;
      return first <= 2 ? unauth() : json(200, { data: 1 });
    });
    await Promise.all([api('/a'), api('/b')]);
    expect(calls.filter((c) => c.url.endsWith('/auth/refresh'))).toHaveLength(1);
  });

  it('treats a 401 as "anonymous" without redirecting when asked to', async () => {
    stubFetch(() => unauth());
    await expect(api('/me', { on401: 'anonymous' })).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('never tries to refresh around the auth endpoints themselves', async () => {
    stubFetch(() =>
      json(401, {
        error: { code: 'UNAUTHENTICATED', message: 'Wrong email or password', requestId: 'r' },
      }),
    );
    await expect(api('/auth/login', { method: 'POST', json: {} })).rejects.toMatchObject({
      message: 'Wrong email or password',
    });
    expect(calls).toHaveLength(1);
    expect(onUnauthorized).not.toHaveBeenCalled();
  });
});
