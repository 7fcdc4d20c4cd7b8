import type { ErrorBody } from '@hanger/contracts';

/** An API failure with the server's stable code (`VALIDATION_FAILED`, `CONFLICT`, ...). */
export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const API_BASE = '/api/v1';
export const CSRF_COOKIE = 'csrf_token';
export const CSRF_HEADER = 'x-csrf-token';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Requests that must never trigger the refresh-and-retry dance (they *are* the auth flow). */
const NO_REFRESH = /^\/auth\/(login|register|refresh|logout|verify-email|password\/)/;

export interface ApiOptions extends Omit<RequestInit, 'body'> {
  /** A JSON body (serialised here). */
  json?: unknown;
  /**
   * What a 401 that survives one refresh means. `redirect` (default): the page needs a user, send
   * them to login and back. `anonymous`: the caller treats it as "not signed in" (e.g. GET /me).
   */
  on401?: 'redirect' | 'anonymous';
}

export function readCookie(name: string): string | undefined {
  if (typeof document === 'undefined') return undefined;
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

type UnauthorizedHandler = (returnTo: string) => void;
let onUnauthorized: UnauthorizedHandler = (returnTo) => {
  window.location.assign(`/login?next=${encodeURIComponent(returnTo)}`);
};
/** The app installs a router-aware handler; tests install a spy. */
export function setUnauthorizedHandler(handler: UnauthorizedHandler) {
  onUnauthorized = handler;
}

let refreshing: Promise<boolean> | null = null;
/** One refresh at a time: concurrent 401s share the same attempt. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= fetch(`${API_BASE}/auth/refresh`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: withCsrf({ accept: 'application/json' }),
  })
    .then((res) => res.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function withCsrf(headers: Record<string, string>): Record<string, string> {
  const token = readCookie(CSRF_COOKIE);
  return token ? { ...headers, [CSRF_HEADER]: token } : headers;
}

function currentLocation(): string {
  return `${window.location.pathname}${window.location.search}`;
}

async function send(path: string, options: ApiOptions): Promise<Response> {
  const { json, on401: _on401, headers, ...init } = options;
  const method = (init.method ?? 'GET').toUpperCase();
  let h: Record<string, string> = {
    accept: 'application/json',
    ...(headers as Record<string, string> | undefined),
  };
  if (json !== undefined) h['content-type'] = 'application/json';
  if (UNSAFE.has(method)) h = withCsrf(h);
  return fetch(`${API_BASE}${path}`, {
    credentials: 'same-origin',
    ...init,
    method,
    headers: h,
    body: json === undefined ? undefined : JSON.stringify(json),
  });
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const err = (body as ErrorBody | undefined)?.error;
    throw new ApiError(
      res.status,
      err?.code ?? (res.status === 401 ? 'UNAUTHENTICATED' : 'INTERNAL'),
      err?.message ?? (res.statusText || 'Something went wrong'),
      err?.details,
    );
  }
  return body as T;
}

/**
 * Calls `/api/v1${path}` and returns the parsed body (the `{data, meta}` envelope). Unsafe methods
 * carry the CSRF double-submit header. A 401 triggers one `POST /auth/refresh` and a retry; if that
 * fails too, the user is sent to login and back (unless `on401: 'anonymous'`).
 */
export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  let res = await send(path, options);
  if (res.status === 401 && !NO_REFRESH.test(path)) {
    if (await refreshSession()) res = await send(path, options);
    if (res.status === 401 && (options.on401 ?? 'redirect') === 'redirect') {
      onUnauthorized(currentLocation());
    }
  }
  return parse<T>(res);
}

/** Turns an unknown error into a sentence a person understands. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'RATE_LIMITED') return 'Too many attempts. Wait a moment and try again.';
    if (error.status >= 500) return 'Something went wrong on our side. Please try again.';
    return error.message;
  }
  if (error instanceof TypeError) return 'You seem to be offline. Check your connection and retry.';
  return 'Something went wrong. Please try again.';
}

/**
 * Maps a VALIDATION_FAILED body onto form fields. Accepts the common shapes: `{ fields: {a: msg} }`,
 * `{ a: [msg] }`, or a list of `{ path: ['a'], message }` (Zod issues).
 */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || !error.details) return {};
  const out: Record<string, string> = {};
  const d = error.details as Record<string, unknown> | unknown[];
  const issues = Array.isArray(d)
    ? d
    : Array.isArray((d as { issues?: unknown }).issues)
      ? (d as { issues: unknown[] }).issues
      : null;
  if (issues) {
    for (const i of issues as { path?: string | (string | number)[]; message?: string }[]) {
      const segs = typeof i.path === 'string' ? i.path.split('.') : (i.path ?? []).map(String);
      const key = segs[0] === 'body' || segs[0] === 'querystring' ? segs[1] : segs[0];
      if (key !== undefined && i.message && !out[key]) out[key] = i.message;
    }
    return out;
  }
  const single = d as { field?: unknown };
  if (typeof single.field === 'string') return { [single.field]: error.message };
  const fields = ((d as { fields?: unknown }).fields ?? d) as Record<string, unknown>;
  for (const [k, v] of Object.entries(fields)) {
    const msg: unknown = Array.isArray(v) ? (v as unknown[])[0] : v;
    if (typeof msg === 'string') out[k] = msg;
  }
  return out;
}

/** Builds a query string, skipping empty values and repeating arrays (`brand=a&brand=b`). */
export function qs(params: Record<string, unknown>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v as (string | number)[]) sp.append(k, String(x));
    else sp.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}
