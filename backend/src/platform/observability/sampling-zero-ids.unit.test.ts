import type * as Crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';

// The pool's first draws of 4 KiB (its words, or its bytes for hex) are all zeros, then random
// bytes as usual.
const fills = vi.hoisted(() => ({ zeros: 1 }));
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof Crypto>();
  return {
    ...crypto,
    randomFillSync: <T extends NodeJS.ArrayBufferView>(buffer: T): T => {
      if (fills.zeros > 0 && buffer.byteLength === 4096) {
        fills.zeros--;
        new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength).fill(0);
        return buffer;
      }
      return crypto.randomFillSync(buffer);
    },
  };
});

const { RootDecider } = await import('./sampling');

describe('RootDecider ids when the random bytes are zeros', () => {
  afterEach(() => {
    fills.zeros = 1;
  });

  it('never hands out the all-zero span id or trace id, which W3C trace-context forbids', () => {
    const ids = new RootDecider(0x1_0000_0000);
    const span = ids.generateSpanId();
    expect(span).toMatch(/^[0-9a-f]{16}$/);
    expect(span).not.toBe('0'.repeat(16));
    fills.zeros = 1;
    const trace = new RootDecider(0x1_0000_0000).generateTraceId();
    expect(trace).toMatch(/^[0-9a-f]{32}$/);
    expect(trace).not.toBe('0'.repeat(32));
  });

  it('never decides a root with the all-zero trace id', () => {
    // Every root sampled (the bound is 2^32): its word is 0, and so are its first 24 hex digits.
    fills.zeros = 2;
    const ids = new RootDecider(0x1_0000_0000);
    expect(ids.sampleRoot()).toBe(true);
    const trace = ids.generateTraceId();
    expect(trace).toMatch(/^[0-9a-f]{32}$/);
    expect(trace).not.toBe('0'.repeat(32));
  });
});
