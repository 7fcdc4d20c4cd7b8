import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index';

/** What turns tracing on: an OTLP endpoint. */
const TRACING = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };

describe('configuration', () => {
  it('defaults to the embedded runtime on port 3000 with data in ./data', () => {
    const c = loadConfig({});
    expect(c.runtime).toBe('embedded');
    expect(c.port).toBe(3000);
    expect(c.database.kind).toBe('pglite');
    expect(c.storage.kind).toBe('local');
    expect(c.redis).toBeUndefined();
    expect(c.dataDir.endsWith('/data')).toBe(true);
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.publicMediaBaseUrl).toBe('http://localhost:3000/media');
  });

  it('switches each port to its service when its variables are set', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/hanger',
      REDIS_URL: 'redis://cache:6379/1',
      S3_BUCKET: 'media',
      S3_ENDPOINT: 'http://minio:9000',
      S3_FORCE_PATH_STYLE: 'true',
      PORT: '8080',
      HANGER_DATA_DIR: '/var/lib/hanger',
    });
    expect(c.runtime).toBe('services');
    expect(c.database).toEqual({
      kind: 'postgres',
      url: 'postgres://u:p@db:5432/hanger',
      poolMax: 10,
    });
    expect(c.redis).toEqual({ url: 'redis://cache:6379/1', prefix: 'hanger' });
    expect(c.storage).toMatchObject({ kind: 's3', bucket: 'media', forcePathStyle: true });
    expect(c.migrateOnStart).toBe(false);
    expect(c.port).toBe(8080);
    expect(c.dataDir).toBe('/var/lib/hanger');
  });

  it('exports spans as OTLP/HTTP protobuf unless a protocol variable says JSON', () => {
    const protocol = (env: Record<string, string>) =>
      loadConfig({ ...TRACING, ...env }).observability.tracing.protocol;
    expect(protocol({})).toBe('http/protobuf');
    expect(protocol({ OTEL_EXPORTER_OTLP_PROTOCOL: '' })).toBe('http/protobuf');
    expect(protocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json');
    // The signal's own variable wins over the general one.
    expect(
      protocol({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      }),
    ).toBe('http/protobuf');
    expect(protocol({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: ' http/json ' })).toBe('http/json');
    // The general variable may name gRPC for other signals' exporters: the traces one decides.
    expect(
      protocol({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      }),
    ).toBe('http/protobuf');
    // With tracing off, the protocol is not this process's concern.
    expect(loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).observability.tracing.enabled).toBe(
      false,
    );
    expect(() =>
      loadConfig({ ...TRACING, OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    ).not.toThrow();
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ S3_ENDPOINT: 'http://minio:9000' }, 'S3_BUCKET'],
    [{ NODE_ENV: 'production' }, 'APP_SECRET'],
    [{ APP_SECRET: 'short' }, 'APP_SECRET'],
    [{ ...TRACING, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    [
      { ...TRACING, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/xml' },
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    ],
    [{ TRUST_PROXY: 'loopback,example.com' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/8/1' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: 'fd00::/129' }, 'TRUST_PROXY'],
  ])('refuses %j with a message naming %s', (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(variable);
  });

  it('reads TRACE_SAMPLE_BLOCK: at most 256 roots to a sampling decision unless set, 1 for each its own', () => {
    const block = (value?: string) =>
      loadConfig({ TRACE_SAMPLE_BLOCK: value }).observability.tracing.sampleBlock;
    expect(block()).toBe(256);
    expect(block('')).toBe(256); // blank, as .env.example leaves it: the default
    expect(block(' 1 ')).toBe(1);
    expect(block('1024')).toBe(1024);
    for (const bad of ['0', '-5', '1.5', '1025', 'many']) {
      expect(() => block(bad)).toThrow(ConfigError);
      expect(() => block(bad)).toThrow(/TRACE_SAMPLE_BLOCK/);
    }
  });

  it('reads TRACE_SAMPLE_MAX_PER_SECOND: at most 100 sampled new traces a second unless set, 0 for no limit', () => {
    const max = (value?: string) =>
      loadConfig({ TRACE_SAMPLE_MAX_PER_SECOND: value }).observability.tracing.maxSampledPerSecond;
    expect(max()).toBe(100);
    expect(max('')).toBe(100);
    expect(max(' 0 ')).toBe(0);
    expect(max('2.5')).toBe(2.5);
    expect(max('1000000')).toBe(1_000_000);
    for (const bad of ['-1', '1000001', 'Infinity', 'lots']) {
      expect(() => max(bad)).toThrow(ConfigError);
      expect(() => max(bad)).toThrow(/TRACE_SAMPLE_MAX_PER_SECOND/);
    }
  });

  it('reads TRACE_INBOUND_CONTEXT: an inbound traceparent is linked unless set to continue', () => {
    const inbound = (value?: string) =>
      loadConfig({ TRACE_INBOUND_CONTEXT: value }).observability.tracing.inboundContext;
    expect(inbound()).toBe('link');
    expect(inbound('link')).toBe('link');
    expect(inbound('continue')).toBe('continue');
    for (const bad of ['', 'trust', 'Continue']) {
      expect(() => inbound(bad)).toThrow(ConfigError);
      expect(() => inbound(bad)).toThrow(/TRACE_INBOUND_CONTEXT/);
    }
  });

  it('reads TRUST_PROXY as off, every hop, or a list of proxies to believe', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(
      loadConfig({ TRUST_PROXY: ' loopback, uniquelocal ,10.1.0.0/16, fd00::/8, fd00::1 ' })
        .trustProxy,
    ).toBe('loopback,uniquelocal,10.1.0.0/16,fd00::/8,fd00::1');
  });
});
