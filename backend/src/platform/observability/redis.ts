import {
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import { recordingContext, startChildSpan } from './tracing';

type SendCommand = Redis['sendCommand'];
type Command = Parameters<SendCommand>[0];

/**
 * Traces Redis commands as CLIENT spans: `sendCommand`, through which every command of every
 * client goes (BullMQ's included, pipelines and transactions command by command), is wrapped on
 * ioredis's class until the returned undo runs. A command sent inside a sampled span (a request's
 * or a job's) gets a span under it; any other makes none, and costs one context lookup. The span
 * says which command, on which server and database, never its keys or values (a session's key is
 * a secret). The span runs from the command's sending, or its queuing while the client connects,
 * to its reply: ioredis sends a queued command on from the connection's events, outside any span,
 * where this wrapper makes none.
 *
 * Not ioredis's own tracing channel (`ioredis:command`): with a subscriber, ioredis builds every
 * command's message (its arguments masked, the server's address) and wraps its promise, sampled
 * or not, a microsecond or more of CPU a command here; this wrapper's cost was within the
 * measurement's noise (ADR 0017).
 */
export function traceRedisCommands(redisClass: typeof Redis, tracer: Tracer): () => void {
  const prototype = redisClass.prototype;
  const original = prototype.sendCommand; // eslint-disable-line @typescript-eslint/unbound-method -- called with `this`
  const sendCommand: SendCommand = function (this: Redis, command, stream) {
    const parent = recordingContext();
    if (!parent) return original.call(this, command, stream);
    const span = startCommandSpan(tracer, parent, this, command);
    command.promise.then(
      () => endCommandSpan(span, undefined),
      (err: unknown) => endCommandSpan(span, err),
    );
    return original.call(this, command, stream);
  };
  prototype.sendCommand = sendCommand;
  return () => {
    if (prototype.sendCommand === sendCommand) prototype.sendCommand = original;
  };
}

/**
 * A span named `{command} {database}`, as OpenTelemetry's database conventions name an operation
 * on a namespace (Redis's is the database index), the command in upper case.
 */
function startCommandSpan(
  tracer: Tracer,
  parent: NonNullable<ReturnType<typeof recordingContext>>,
  client: Redis,
  command: Command,
): Span {
  const operation = command.name.toUpperCase();
  const { host, port, db } = client.options;
  const database = String(db ?? 0);
  const attributes: Attributes = {
    'db.system.name': 'redis',
    'db.operation.name': operation,
    'db.namespace': database,
  };
  if (host) attributes['server.address'] = host;
  if (port) attributes['server.port'] = port;
  return startChildSpan(tracer, parent, `${operation} ${database}`, SpanKind.CLIENT, attributes);
}

/**
 * Ends a command's span. A failed command is described by a code, never by its message: a reply
 * error by its prefix (`WRONGTYPE`, `NOSCRIPT`, `ERR`), in `db.response.status_code` and
 * `error.type`; anything else (a closed connection, a timeout) by its name, in `error.type`.
 */
function endCommandSpan(span: Span, err: unknown): void {
  if (err) {
    const { name, message } = (typeof err === 'object' ? err : {}) as {
      name?: unknown;
      message?: unknown;
    };
    const prefix =
      name === 'ReplyError' && typeof message === 'string'
        ? /^([A-Z][A-Z_]*)(?:\s|$)/.exec(message)?.[1]
        : undefined;
    if (prefix) span.setAttribute('db.response.status_code', prefix);
    span.setAttribute('error.type', prefix ?? (typeof name === 'string' && name ? name : 'Error'));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
