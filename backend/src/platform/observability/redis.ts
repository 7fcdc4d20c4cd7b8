import {
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context,
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
 * a secret). It runs from the command's sending, or its queuing while the client connects, to its
 * reply: ioredis sends a queued command on from the connection's events, outside any span, where
 * this wrapper makes none. The span ends from the command's own `resolve` and `reject`, as the
 * OpenTelemetry instrumentation ended it, not from a handler on its promise: a rejection nobody
 * handles stays unhandled, sampled or not.
 *
 * Not ioredis's own tracing channel (`ioredis:command`): with a subscriber, ioredis builds every
 * command's message (its arguments masked, the server's address) and wraps its promise, sampled
 * or not: +0.8 to +2 µs of CPU a command against +0.1 to +0.4 µs for this wrapper, outside any span
 * (`npm run bench:redis`, ADR 0017).
 */
export function traceRedisCommands(redisClass: typeof Redis, tracer: Tracer): () => void {
  const prototype = redisClass.prototype;
  const original = prototype.sendCommand; // eslint-disable-line @typescript-eslint/unbound-method -- called with `this`
  const sendCommand: SendCommand = function (this: Redis, command, stream) {
    const parent = recordingContext();
    if (parent) {
      const database = String(this.options.db ?? 0);
      const span = startCommandSpan(tracer, parent, this, command, database);
      endWithReply(command, database, span);
    }
    return original.call(this, command, stream);
  };
  prototype.sendCommand = sendCommand;
  return () => {
    if (prototype.sendCommand === sendCommand) prototype.sendCommand = original;
  };
}

/**
 * A span named `{command} {database}`, as OpenTelemetry's database conventions name an operation
 * on a namespace (Redis's is the database index).
 */
function startCommandSpan(
  tracer: Tracer,
  parent: Context,
  client: Redis,
  command: Command,
  database: string,
): Span {
  const operation = command.name.toUpperCase();
  const attributes: Attributes = {
    'db.system.name': 'redis',
    'db.operation.name': operation,
    'db.namespace': database,
  };
  const { host, port } = client.options;
  if (host) attributes['server.address'] = host;
  if (port) attributes['server.port'] = port;
  return startChildSpan(tracer, parent, `${operation} ${database}`, SpanKind.CLIENT, attributes);
}

/**
 * Ends the span when the command is answered or fails. A script's command may go out under
 * another name than it was sent with (ioredis sends `EVALSHA` as `EVAL` on a connection that has
 * not loaded the script yet, and the script with it): the span takes the name it went out with.
 */
function endWithReply(command: Command, database: string, span: Span): void {
  const { resolve, reject, name } = command;
  let ended = false;
  const end = (err: unknown) => {
    if (ended) return;
    ended = true;
    if (command.name !== name) {
      const operation = command.name.toUpperCase();
      span.setAttribute('db.operation.name', operation);
      span.updateName(`${operation} ${database}`);
    }
    endCommandSpan(span, err);
  };
  command.resolve = (result: unknown) => {
    end(undefined);
    resolve(result);
  };
  command.reject = (err: Error) => {
    end(err);
    reject(err);
  };
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
