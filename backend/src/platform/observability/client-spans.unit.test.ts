import http from 'node:http';
import net from 'node:net';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  trace,
} from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Storage } from '../storage/s3';
import { traceS3Client } from './storage';
import { getTracer, startServerSpan, startTracing, stopTracing } from './tracing';

/**
 * The Redis and S3 client spans, made by the real ioredis and AWS SDK clients talking to small
 * servers in this process: a RESP server answering the few commands the tests send, and an HTTP
 * server answering S3's.
 */

/** Reads RESP arrays of bulk strings (what a client sends) off a buffer; returns what is left. */
function readCommands(buffer: Buffer, onCommand: (args: string[]) => void): Buffer {
  let rest = buffer;
  for (;;) {
    const text = rest.toString('latin1');
    const match = /^\*(\d+)\r\n/.exec(text);
    if (!match) return rest;
    let offset = match[0].length;
    const args: string[] = [];
    for (let i = 0; i < Number(match[1]); i++) {
      const head = /^\$(\d+)\r\n/.exec(text.slice(offset));
      if (!head) return rest;
      const start = offset + head[0].length;
      const end = start + Number(head[1]);
      if (text.length < end + 2) return rest;
      args.push(text.slice(start, end));
      offset = end + 2;
    }
    onCommand(args);
    rest = rest.subarray(offset);
  }
}

/** A RESP server: GET of `held` answers nothing, LPUSH a WRONGTYPE error, INFO a ready server. */
function respServer(): net.Server {
  return net.createServer((socket) => {
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = readCommands(Buffer.concat([pending, chunk]), ([name, ...args]) => {
        const command = name!.toLowerCase();
        if (command === 'info') {
          const info = '# Server\r\nredis_version:7.0.0\r\nloading:0\r\n';
          socket.write(`$${info.length}\r\n${info}\r\n`);
        } else if (command === 'get') {
          const value = `value of ${args[0]}`;
          socket.write(`$${value.length}\r\n${value}\r\n`);
        } else if (command === 'lpush') {
          socket.write('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');
        } else {
          socket.write('+OK\r\n');
        }
      });
    });
  });
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** What ioredis's class has as `sendCommand` now. */
const sendCommandOf = (): unknown =>
  Object.getOwnPropertyDescriptor(Redis.prototype, 'sendCommand')?.value;
/** ioredis's own `sendCommand`, before any test started tracing. */
const unwrappedSendCommand = sendCommandOf();

/** A new one for each test: stopping tracing shuts its exporter down for good. */
let exporter: InMemorySpanExporter;
const saved = { ...process.env };

beforeEach(async () => {
  process.env.OTEL_TRACES_SAMPLER = 'parentbased_always_on';
  delete process.env.OTEL_TRACES_SAMPLER_ARG;
  exporter = new InMemorySpanExporter();
  await startTracing({
    serviceName: 'client-spans',
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
});

afterEach(async () => {
  await stopTracing();
  process.env = { ...saved };
});

/** Runs `fn` inside a sampled request span; returns that span's ids. */
async function inRequest(fn: () => Promise<unknown>) {
  const request = startServerSpan({}, 'POST', '/api/v1/items')!;
  await context.with(request.context, fn);
  request.span.end();
  return request.span.spanContext();
}

/** Runs `fn` under a caller's span that was not sampled: in context, but not recording. */
function inUnsampled<T>(fn: () => Promise<T>): Promise<T> {
  const caller = trace.wrapSpanContext({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.NONE,
  });
  return context.with(trace.setSpan(ROOT_CONTEXT, caller), fn);
}

const clientSpans = () => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);

describe('Redis command spans (a wrapper on ioredis)', () => {
  const server = respServer();
  let port: number;
  let redis: Redis;

  beforeAll(async () => {
    port = await listen(server);
    redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
    await redis.set('warm', 'up'); // connected and ready before any test counts spans
  });
  afterAll(async () => {
    redis.disconnect();
    await new Promise((resolve) => server.close(resolve));
  });

  it("makes a CLIENT span under the request's span for each command, without its keys or values", async () => {
    const request = await inRequest(async () => {
      expect(await redis.get('session:s3cr3t-token')).toBe('value of session:s3cr3t-token');
      await redis.set('user:42', 'p4ssw0rd', 'PX', 1000);
    });

    const spans = clientSpans();
    expect(spans.map((s) => s.name)).toEqual(['GET 0', 'SET 0']);
    for (const span of spans) {
      expect(span.parentSpanContext?.spanId).toBe(request.spanId);
      expect(span.spanContext().traceId).toBe(request.traceId);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    }
    expect(spans[0]!.attributes).toEqual({
      'db.system.name': 'redis',
      'db.operation.name': 'GET',
      'db.namespace': '0',
      'server.address': '127.0.0.1',
      'server.port': port,
    });
    const recorded = JSON.stringify(spans.map((s) => s.attributes));
    expect(recorded).not.toContain('s3cr3t');
    expect(recorded).not.toContain('p4ssw0rd');
  });

  it('traces each command of a pipeline', async () => {
    await inRequest(() => redis.pipeline().get('a').set('b', '1').exec());
    expect(clientSpans().map((s) => s.name)).toEqual(['GET 0', 'SET 0']);
  });

  it('marks a reply error by its prefix, not its message', async () => {
    await inRequest(() => redis.lpush('a-string', 'x').catch(() => {}));

    const [span] = clientSpans();
    expect(span!.name).toBe('LPUSH 0');
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(span!.attributes['error.type']).toBe('WRONGTYPE');
    expect(span!.attributes['db.response.status_code']).toBe('WRONGTYPE');
    expect(span!.events).toEqual([]);
  });

  it('makes no span for a command outside any span, or under one not sampled', async () => {
    await redis.get('background');
    await inUnsampled(() => redis.get('unsampled'));
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it("names a script's span by what went out: EVAL on the connection's first run, EVALSHA after", async () => {
    redis.defineCommand('probeScript', {
      numberOfKeys: 1,
      lua: "return redis.call('get', KEYS[1])",
    });
    const probe = redis as Redis & { probeScript(key: string): Promise<unknown> };
    await inRequest(async () => {
      await probe.probeScript('a');
      await probe.probeScript('b');
    });
    expect(clientSpans().map((s) => [s.name, s.attributes['db.operation.name']])).toEqual([
      ['EVAL 0', 'EVAL'],
      ['EVALSHA 0', 'EVALSHA'],
    ]);
    expect(JSON.stringify(clientSpans().map((s) => s.attributes))).not.toContain('redis.call');
  });

  it('makes one span for a command queued while its client connects, sent once connected', async () => {
    const lazy = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await inRequest(() => lazy.get('queued'));
    } finally {
      lazy.disconnect();
    }
    // The ready check's INFO is sent by the client itself, outside the request's context.
    expect(clientSpans().map((s) => s.name)).toEqual(['GET 0']);
  });

  it("puts ioredis's own sendCommand back when tracing stops", async () => {
    expect(sendCommandOf()).not.toBe(unwrappedSendCommand);
    await stopTracing();
    expect(sendCommandOf()).toBe(unwrappedSendCommand);
  });
});

describe('S3 request spans (a middleware on the SDK client)', () => {
  /** How many more HEAD requests for `flaky` answer 503 before one answers 200. */
  let flakyFailures = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('x-amz-request-id', `req-${req.method}`);
      if (req.method === 'PUT') {
        res.setHeader('ETag', '"etag"');
        res.end();
      } else if (req.url?.startsWith('/photos/flaky') && flakyFailures > 0) {
        flakyFailures--;
        res.statusCode = 503;
        res.end();
      } else if (req.url?.startsWith('/photos/missing')) {
        res.statusCode = 404;
        res.end();
      } else {
        res.setHeader('Content-Length', '5');
        res.setHeader('Content-Type', 'image/webp');
        res.end();
      }
    });
  });
  let port: number;
  let storage: S3Storage;

  beforeAll(async () => {
    port = await listen(server);
  });
  beforeEach(() => {
    storage = new S3Storage({
      endpoint: `http://127.0.0.1:${port}`,
      bucket: 'photos',
      region: 'us-east-1',
      accessKeyId: 'test-key',
      secretAccessKey: 'test-secret',
      forcePathStyle: true,
    });
    traceS3Client(storage.client, getTracer()!);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("makes a CLIENT span under the request's span for each S3 request, with its status", async () => {
    const request = await inRequest(async () => {
      await storage.put('items/1/a.webp', Buffer.from('bytes'), { contentType: 'image/webp' });
      expect(await storage.head('items/1/a.webp')).toEqual({ size: 5, contentType: 'image/webp' });
    });

    const spans = clientSpans();
    expect(spans.map((s) => s.name)).toEqual(['S3.PutObject', 'S3.HeadObject']);
    for (const span of spans) {
      expect(span.parentSpanContext?.spanId).toBe(request.spanId);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    }
    expect(spans[0]!.attributes).toEqual({
      'rpc.system': 'aws-api',
      'rpc.service': 'S3',
      'rpc.method': 'PutObject',
      'aws.s3.bucket': 'photos',
      'aws.s3.key': 'items/1/a.webp',
      'http.request.method': 'PUT',
      'server.address': '127.0.0.1',
      'server.port': port,
      'http.response.status_code': 200,
      'aws.request_id': 'req-PUT',
    });
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('test-secret');
  });

  it('marks a failed request with the 404 and the name the SDK gives it', async () => {
    await inRequest(async () => {
      expect(await storage.head('missing.webp')).toBeNull();
    });

    const [span] = clientSpans();
    expect(span!.name).toBe('S3.HeadObject');
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(span!.attributes['http.response.status_code']).toBe(404);
    expect(span!.attributes['error.type']).toBe('NotFound');
  });

  it('makes a span per attempt, the retry numbered as a resend', async () => {
    flakyFailures = 1;
    await inRequest(async () => {
      expect(await storage.head('flaky.webp')).toEqual({ size: 5, contentType: 'image/webp' });
    });

    const spans = clientSpans();
    expect(spans.map((s) => [s.status.code, s.attributes['http.response.status_code']])).toEqual([
      [SpanStatusCode.ERROR, 503],
      [SpanStatusCode.UNSET, 200],
    ]);
    expect(spans[0]!.attributes).not.toHaveProperty('http.request.resend_count');
    expect(spans[1]!.attributes['http.request.resend_count']).toBe(1);
  });

  it('makes no span for a presigned URL, which is signed and never sent', async () => {
    await inRequest(() => storage.presignGet('items/1/a.webp', { expiresInSec: 60 }));
    expect(clientSpans()).toEqual([]);
  });

  it('makes no span for a request outside any span, or under one not sampled', async () => {
    await storage.head('items/1/a.webp');
    await inUnsampled(() => storage.head('items/1/a.webp'));
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
