import type { S3Client } from '@aws-sdk/client-s3';
import {
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { recordingContext, startChildSpan } from './tracing';

/** What the SDK hands a deserialize-step middleware, as far as the span reads it. */
interface Sent {
  input?: { Bucket?: unknown; Key?: unknown };
  request?: {
    method?: unknown;
    hostname?: unknown;
    port?: unknown;
    headers?: Record<string, string | undefined>;
  };
}

/** What comes back through it, or is thrown: the HTTP response and the SDK's metadata. */
interface Received {
  response?: { statusCode?: unknown; headers?: Record<string, string | undefined> };
  output?: { $metadata?: Received['$metadata'] };
  $response?: { statusCode?: unknown; headers?: Record<string, string | undefined> };
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
  name?: unknown;
  code?: unknown;
}

/**
 * Traces an S3 client's requests as CLIENT spans, from a middleware on the client's own stack (no
 * patching of `http`): one span per HTTP request sent inside a sampled span, a retry being a span
 * of its own, named `S3.{operation}` (`S3.PutObject`) as OpenTelemetry's AWS SDK conventions name
 * them, with the method, server, bucket, key and status. A presigned URL is signed, never sent: it
 * makes none. The span ends when the response's headers are read (a GetObject's body streams on).
 */
export function traceS3Client(client: S3Client, tracer: Tracer): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const parent = recordingContext();
      if (!parent) return next(args);
      const operation = context.commandName?.replace(/Command$/, '') ?? 'request';
      const span = startChildSpan(
        tracer,
        parent,
        `S3.${operation}`,
        SpanKind.CLIENT,
        requestAttributes(operation, args as Sent),
      );
      try {
        const result = await next(args);
        endRequestSpan(span, result as Received, undefined);
        return result;
      } catch (err) {
        endRequestSpan(span, typeof err === 'object' && err ? err : {}, err);
        throw err;
      }
    },
    // Around the SDK's deserializer, inside its retries: each attempt, its response parsed.
    { step: 'deserialize', priority: 'high', name: 'hangerTraceSpan' },
  );
}

function requestAttributes(operation: string, { input, request }: Sent): Attributes {
  const attributes: Attributes = {
    'rpc.system': 'aws-api',
    'rpc.service': 'S3',
    'rpc.method': operation,
  };
  if (typeof input?.Bucket === 'string') attributes['aws.s3.bucket'] = input.Bucket;
  if (typeof input?.Key === 'string') attributes['aws.s3.key'] = input.Key;
  if (typeof request?.method === 'string') attributes['http.request.method'] = request.method;
  if (typeof request?.hostname === 'string') attributes['server.address'] = request.hostname;
  if (typeof request?.port === 'number') attributes['server.port'] = request.port;
  // The retry middleware numbers each attempt (`attempt=2; max=3`): the second is the first resend.
  const attempt = /\battempt=(\d+)/.exec(request?.headers?.['amz-sdk-request'] ?? '')?.[1];
  if (attempt && Number(attempt) > 1) attributes['http.request.resend_count'] = Number(attempt) - 1;
  return attributes;
}

/**
 * Ends a request's span with the status the server answered and its request id. A failure is
 * described by the SDK's name for it (`NoSuchKey`, `NotFound`, `TimeoutError`) or a socket's code
 * (`ECONNREFUSED`), never by its message.
 */
function endRequestSpan(span: Span, received: Received, err: unknown): void {
  const response = received.response ?? received.$response;
  const metadata = received.$metadata ?? received.output?.$metadata;
  const status = metadata?.httpStatusCode ?? response?.statusCode;
  if (typeof status === 'number') span.setAttribute('http.response.status_code', status);
  const requestId = metadata?.requestId ?? response?.headers?.['x-amz-request-id'];
  if (typeof requestId === 'string' && requestId) span.setAttribute('aws.request_id', requestId);
  if (err !== undefined) {
    const { code, name } = received;
    const type =
      typeof code === 'string' && code ? code : typeof name === 'string' && name ? name : 'Error';
    span.setAttribute('error.type', type);
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
