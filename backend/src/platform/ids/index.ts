import { v7 } from 'uuid';

/** Time-ordered UUIDv7: ids sort by creation time, which cursors and indexes rely on. */
export const newId = (): string => v7();

export const isUuid = (s: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
