import { AppError } from '../errors';

/**
 * Opaque cursors: base64url of a JSON array of the sort key of the last row served. A cursor
 * that does not decode to the expected shape is the client's mistake (400), never a 500.
 */
export function encodeCursor(parts: (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor<T extends (string | number)[]>(
  cursor: string,
  check: (parts: unknown[]) => parts is T,
): T {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && check(parsed)) return parsed;
  } catch {
    // fall through to the error below
  }
  throw new AppError('VALIDATION_FAILED', 'The cursor is not valid', [
    { path: 'querystring.cursor', message: 'Invalid cursor' },
  ]);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A cursor holding one UUIDv7 (lists ordered by a time-ordered id). */
export const idCursor = {
  encode: (id: string) => encodeCursor([id]),
  decode: (cursor: string) =>
    decodeCursor(
      cursor,
      (p): p is [string] => p.length === 1 && typeof p[0] === 'string' && UUID.test(p[0]),
    )[0],
};

/** A cursor holding an ISO timestamp (millisecond precision) and a UUID tie-breaker. */
export const timeIdCursor = {
  encode: (at: Date, id: string) => encodeCursor([at.toISOString(), id]),
  decode: (cursor: string): { at: Date; id: string } => {
    const [at, id] = decodeCursor(
      cursor,
      (p): p is [string, string] =>
        p.length === 2 &&
        typeof p[0] === 'string' &&
        // Only what encode() writes: JavaScript parses dates Postgres refuses (years ±275760).
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(p[0]) &&
        !Number.isNaN(Date.parse(p[0])) &&
        typeof p[1] === 'string' &&
        UUID.test(p[1]),
    );
    return { at: new Date(at), id };
  },
};
