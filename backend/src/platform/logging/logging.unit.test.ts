import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { createLogger } from './logger';
import { CENSOR, redact } from './redact';
import { RequestLogger } from './request-logger';

function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { log: createLogger(level, stream), lines };
}

describe('logger', () => {
  it('censors secrets in a logged object whatever its prototype, and leaves the object alone', () => {
    const { log, lines } = capture();
    class Credentials {
      constructor(
        readonly email: string,
        readonly password: string,
      ) {}
    }
    const plain = { email: 'a@b.c', password: 'p1' };
    log.info(plain, 'plain');
    log.info(new Credentials('a@b.c', 'p2'), 'instance');
    expect(lines.map((l) => [l.msg, l.password, l.email])).toEqual([
      ['plain', CENSOR, 'a@b.c'],
      ['instance', CENSOR, 'a@b.c'],
    ]);
    expect(plain.password).toBe('p1');
  });
});

describe('redact', () => {
  it('censors secret fields at any depth and credential headers, leaving the input untouched', () => {
    const input = {
      password: 'p1',
      body: { email: 'a@b.c', newPassword: 'p2', nested: [{ refreshToken: 'r1', keep: 1 }] },
      req: { headers: { Authorization: 'Bearer t', cookie: 'c=1', accept: 'json' } },
      headers: { 'x-csrf-token': 'x', 'set-cookie': ['s'], host: 'h' },
      when: new Date(0),
    };
    const snapshot = structuredClone(input);
    const out = redact(input);
    expect(out).toEqual({
      password: CENSOR,
      body: { email: 'a@b.c', newPassword: CENSOR, nested: [{ refreshToken: CENSOR, keep: 1 }] },
      req: { headers: { Authorization: CENSOR, cookie: CENSOR, accept: 'json' } },
      headers: { 'x-csrf-token': CENSOR, 'set-cookie': CENSOR, host: 'h' },
      when: new Date(0),
    });
    expect(input).toEqual(snapshot);
  });

  it('returns the same object when there is nothing to censor (no copy on the hot path)', () => {
    const line = { requestId: 'r', method: 'GET', url: '/x', status: 200, nested: { a: [1, 2] } };
    expect(redact(line)).toBe(line);
  });

  it('does not treat header names as secrets outside a headers object', () => {
    expect(redact({ cookie: 'policy accepted', authorization: 'granted' })).toEqual({
      cookie: 'policy accepted',
      authorization: 'granted',
    });
  });
});

describe('logger', () => {
  it('writes secrets nowhere: fields, nested bodies, child bindings and errors', () => {
    const { log, lines } = capture();
    log.info({ body: { password: 'hunter2', email: 'a@b.c' } }, 'body');
    log.child({ token: 'child-secret' }).info('child');
    log.child({ job: 'j1' }).child({ attempt: 2 }).info('grandchild');
    const err = Object.assign(new AppError('VALIDATION_FAILED', 'bad'), {
      details: { accessToken: 'err-secret' },
    });
    log.error({ err }, 'failed');
    log.flush();
    const text = JSON.stringify(lines);
    for (const secret of ['hunter2', 'child-secret', 'err-secret'])
      expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ msg: 'body', body: { password: CENSOR, email: 'a@b.c' } });
    expect(lines[1]).toMatchObject({ msg: 'child', token: CENSOR });
    expect(lines[2]).toMatchObject({ msg: 'grandchild', job: 'j1', attempt: 2 });
    expect(lines[3]).toMatchObject({
      msg: 'failed',
      err: { type: 'AppError', message: 'bad', details: { accessToken: CENSOR } },
    });
    expect((lines[3]!.err as { stack: string }).stack).toContain('AppError');
  });
});

describe('RequestLogger', () => {
  it('makes its child only when a line is written at an enabled level', () => {
    const { log, lines } = capture('info');
    let children = 0;
    const child = log.child.bind(log);
    log.child = ((...args: Parameters<typeof child>) => {
      children++;
      return child(...args);
    }) as typeof log.child;

    const quiet = new RequestLogger(log, { requestId: 'r1' }, {});
    quiet.debug('not written');
    quiet.trace({ a: 1 }, 'not written');
    expect(quiet.isLevelEnabled('debug')).toBe(false);
    expect(quiet.isLevelEnabled('info')).toBe(true);
    expect(children).toBe(0);

    const noisy = new RequestLogger(log, { requestId: 'r2' }, {});
    noisy.info({ a: 1 }, 'first');
    noisy.warn('second');
    expect(children).toBe(1);
    log.flush();
    expect(lines).toEqual([
      expect.objectContaining({ requestId: 'r2', a: 1, msg: 'first', level: 'info' }),
      expect.objectContaining({ requestId: 'r2', msg: 'second', level: 'warn' }),
    ]);
  });

  it('honours a route log level above the logger level', () => {
    const { log, lines } = capture('debug');
    const route = new RequestLogger(log, { requestId: 'r3' }, { level: 'warn' });
    expect(route.level).toBe('warn');
    route.info('dropped');
    route.error('kept');
    log.flush();
    expect(lines.map((l) => l.msg)).toEqual(['kept']);
  });
});
