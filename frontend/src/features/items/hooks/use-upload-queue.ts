import type { Upload } from '@hanger/contracts';
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../../lib/api';
import { checkImageFile, getUpload, uploadImage } from '../../../lib/upload';

export const MAX_PHOTOS = 20;
const CONCURRENCY = 3;

export type TileStatus = 'queued' | 'uploading' | 'processing' | 'ready' | 'failed';

export interface UploadTile {
  key: string;
  /** Null for photos that already belong to the item (editing). */
  file: File | null;
  name: string;
  /** A local object URL while uploading, then the server's `thumb` once ready. */
  previewUrl: string | null;
  status: TileStatus;
  progress: number;
  uploadId: string | null;
  error: string | null;
  width?: number | null;
  height?: number | null;
}

export interface UploadTransport {
  upload: (file: File, onProgress: (f: number) => void, signal: AbortSignal) => Promise<string>;
  status: (uploadId: string) => Promise<Upload>;
}

export const httpTransport: UploadTransport = {
  upload: (file, onProgress, signal) => uploadImage(file, 'item_image', onProgress, signal),
  status: getUpload,
};

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new DOMException('aborted', 'AbortError'));
    });
  });
}

let seq = 0;
const nextKey = () => `tile-${++seq}`;

export interface UseUploadQueue {
  tiles: UploadTile[];
  /** Adds files; returns messages for the ones refused (type, size, over the limit). */
  add: (files: Iterable<File>) => string[];
  remove: (key: string) => void;
  retry: (key: string) => void;
  move: (key: string, to: number) => void;
  /** True when every tile has an upload id and none failed or is still sending. */
  settled: boolean;
  uploadIds: string[];
}

/**
 * The sell form's photo queue. Each file is uploaded straight to storage (at most three at a time)
 * with its own progress; then the upload is polled until the worker reports `ready` or `failed`.
 * Order is the display order sent as `imageUploadIds`.
 */
export function useUploadQueue(
  initial: UploadTile[] = [],
  transport: UploadTransport = httpTransport,
  pollMs = 1500,
): UseUploadQueue {
  const [tiles, setTiles] = useState<UploadTile[]>(initial);
  const tilesRef = useRef(tiles);
  const controllers = useRef(new Map<string, AbortController>());
  const active = useRef(new Set<string>());
  const transportRef = useRef(transport);
  useEffect(() => {
    tilesRef.current = tiles;
    transportRef.current = transport;
  });

  const patch = useCallback((key: string, p: Partial<UploadTile>) => {
    setTiles((ts) => ts.map((t) => (t.key === key ? { ...t, ...p } : t)));
  }, []);

  /** Asks for the upload's processing state until it is ready or failed (or the tile is gone). */
  const poll = useCallback(
    async (key: string, uploadId: string) => {
      const controller = new AbortController();
      controllers.current.set(`poll:${key}`, controller);
      try {
        for (let attempt = 0; attempt < 40; attempt++) {
          await sleep(pollMs, controller.signal);
          let u: Upload;
          try {
            u = await transportRef.current.status(uploadId);
          } catch {
            continue;
          }
          if (controller.signal.aborted) return;
          if (u.status === 'ready') {
            return patch(key, {
              status: 'ready',
              previewUrl: u.variants.thumb?.url ?? null,
              width: u.width,
              height: u.height,
            });
          }
          if (u.status === 'failed') {
            return patch(key, {
              status: 'failed',
              error: u.failureReason ?? 'This photo could not be processed',
            });
          }
        }
      } catch {
        // Aborted: the tile was removed or the form closed.
      } finally {
        controllers.current.delete(`poll:${key}`);
      }
    },
    [patch, pollMs],
  );

  // Start queued uploads while there is room.
  useEffect(() => {
    const queued = tiles.filter(
      (t) => t.status === 'queued' && t.file && !active.current.has(t.key),
    );
    const room = CONCURRENCY - active.current.size;
    for (const tile of queued.slice(0, Math.max(0, room))) {
      const controller = new AbortController();
      controllers.current.set(tile.key, controller);
      active.current.add(tile.key);
      patch(tile.key, { status: 'uploading', progress: 0, error: null });
      transportRef.current
        .upload(tile.file!, (f) => patch(tile.key, { progress: f }), controller.signal)
        .then(
          (uploadId) => {
            patch(tile.key, { status: 'processing', progress: 1, uploadId });
            void poll(tile.key, uploadId);
          },
          (err: unknown) => {
            if (controller.signal.aborted) return;
            patch(tile.key, { status: 'failed', error: errorMessage(err) });
          },
        )
        .finally(() => {
          active.current.delete(tile.key);
          controllers.current.delete(tile.key);
          // Wake the effect up for the next queued tile.
          setTiles((ts) => [...ts]);
        });
    }
  }, [tiles, patch, poll]);

  // Clean up object URLs, requests and polls when the form goes away.
  useEffect(() => {
    const c = controllers.current;
    return () => {
      c.forEach((x) => x.abort());
      for (const t of tilesRef.current)
        if (t.previewUrl?.startsWith('blob:')) URL.revokeObjectURL(t.previewUrl);
    };
  }, []);

  const add = useCallback((files: Iterable<File>) => {
    const refused: string[] = [];
    const fresh: UploadTile[] = [];
    let room = MAX_PHOTOS - tilesRef.current.length;
    for (const file of files) {
      const problem = checkImageFile(file);
      if (problem) {
        refused.push(`${file.name}: ${problem}`);
        continue;
      }
      if (room <= 0) {
        refused.push(`${file.name}: you can add up to ${MAX_PHOTOS} photos`);
        continue;
      }
      room -= 1;
      fresh.push({
        key: nextKey(),
        file,
        name: file.name,
        previewUrl: typeof URL.createObjectURL === 'function' ? URL.createObjectURL(file) : null,
        status: 'queued',
        progress: 0,
        uploadId: null,
        error: null,
      });
    }
    if (fresh.length) setTiles((ts) => [...ts, ...fresh]);
    return refused;
  }, []);

  const remove = useCallback((key: string) => {
    controllers.current.get(key)?.abort();
    controllers.current.get(`poll:${key}`)?.abort();
    setTiles((ts) => {
      const t = ts.find((x) => x.key === key);
      if (t?.previewUrl?.startsWith('blob:')) URL.revokeObjectURL(t.previewUrl);
      return ts.filter((x) => x.key !== key);
    });
  }, []);

  const retry = useCallback(
    (key: string) => {
      const t = tilesRef.current.find((x) => x.key === key);
      if (!t) return;
      // A file that reached storage but failed processing needs a fresh upload: the bytes are bad
      // or the upload expired. Either way, start over from the file.
      if (t.file) patch(key, { status: 'queued', progress: 0, error: null, uploadId: null });
    },
    [patch],
  );

  const move = useCallback((key: string, to: number) => {
    setTiles((ts) => {
      const from = ts.findIndex((t) => t.key === key);
      if (from < 0) return ts;
      const target = Math.max(0, Math.min(ts.length - 1, to));
      if (target === from) return ts;
      const copy = [...ts];
      const [moved] = copy.splice(from, 1);
      copy.splice(target, 0, moved!);
      return copy;
    });
  }, []);

  const settled = tiles.every(
    (t) => t.uploadId && t.status !== 'failed' && t.status !== 'uploading' && t.status !== 'queued',
  );
  const uploadIds = tiles
    .filter((t) => t.uploadId && t.status !== 'failed')
    .map((t) => t.uploadId!);
  return { tiles, add, remove, retry, move, settled, uploadIds };
}
