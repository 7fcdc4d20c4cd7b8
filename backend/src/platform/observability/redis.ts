import diagnosticsChannel from 'node:diagnostics_channel';
import {
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { recordingContext, startChildSpan } from './tracing';

/** The tracing channel ioredis publishes every command written to a server on (ioredis ≥ 6). */
export const REDIS_COMMAND_CHANNEL = 'ioredis:command';

/**
 * What ioredis hands the channel for a command: its context (`_buildCommandContext`), and the
 * error once the command failed. The span is ours, kept on the same object from start to end.
 */
interface CommandMessage {
  command?: unknown;
  database?: unknown;
  serverAddress?: unknown;
  serverPort?: unknown;
  error?: unknown;
  [SPAN]?: Span;
}

const SPAN = Symbol('hanger.redisSpan');

/**
 * Traces Redis commands as CLIENT spans by subscribing to ioredis's own tracing channel: every
 * client of the process, BullMQ's included, with no patching of ioredis. A command sent inside a
 * sampled span (a request's or a job's) gets a span under it; any other makes none. The span says
 * which command, on which server and database, never its keys or values (a session's key is a
 * secret). Returns the unsubscribe.
 */
export function traceRedisCommands(tracer: Tracer): () => void {
  const channel = diagnosticsChannel.tracingChannel<unknown, CommandMessage>(REDIS_COMMAND_CHANNEL);
  const ignore = () => {};
  const subscribers = {
    // Published synchronously from `sendCommand`, in the caller's context.
    start(message: CommandMessage) {
      const parent = recordingContext();
      if (parent) message[SPAN] = startCommandSpan(tracer, parent, message);
    },
    end: ignore,
    // The command's promise settled: after `error` when it failed.
    asyncStart(message: CommandMessage) {
      const span = message[SPAN];
      if (!span) return;
      message[SPAN] = undefined;
      endCommandSpan(span, message.error);
    },
    asyncEnd: ignore,
    error: ignore,
  };
  channel.subscribe(subscribers);
  return () => channel.unsubscribe(subscribers);
}

/**
 * A span named `{command} {database}`, as OpenTelemetry's database conventions name an operation
 * on a namespace (Redis's is the database index), the command in upper case.
 */
function startCommandSpan(
  tracer: Tracer,
  parent: Parameters<typeof startChildSpan>[1],
  message: CommandMessage,
): Span {
  const operation = typeof message.command === 'string' ? message.command.toUpperCase() : undefined;
  const database =
    typeof message.database === 'number' || typeof message.database === 'string'
      ? String(message.database)
      : undefined;
  const attributes: Attributes = { 'db.system.name': 'redis' };
  if (operation) attributes['db.operation.name'] = operation;
  if (database) attributes['db.namespace'] = database;
  if (typeof message.serverAddress === 'string')
    attributes['server.address'] = message.serverAddress;
  if (typeof message.serverPort === 'number') attributes['server.port'] = message.serverPort;
  const name = [operation, database].filter(Boolean).join(' ') || 'redis';
  return startChildSpan(tracer, parent, name, SpanKind.CLIENT, attributes);
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
