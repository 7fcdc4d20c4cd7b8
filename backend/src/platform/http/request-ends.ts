import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The status of a request whose client went away before its response, as NGINX logs it. */
export const CLIENT_CLOSED_REQUEST = 499;
/** The status of a request upgraded to a WebSocket: the handshake's, which `ws` writes itself. */
export const SWITCHING_PROTOCOLS = 101;

/**
 * Runs when a request ends without a response sent through Fastify; `next` goes on to the next
 * listener, as a Fastify hook's `done` does, so that one may run the rest in a context of its own.
 */
export type UnansweredListener = (
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  next: () => void,
) => void;

export interface RequestEnds {
  /** Adds a listener, run after those added before it. */
  onUnanswered(listener: UnansweredListener): void;
}

const kOpen = Symbol('hanger.openReplies');

/** A client's connection, with the replies of the requests read from it and not yet answered. */
type Connection = Socket & { [kOpen]?: FastifyReply | FastifyReply[] | null };

/**
 * The two ways a request ends without the response Fastify sends, and so without its onResponse
 * hooks, where the metrics, the span and the request's log line are finished:
 *
 * - its client goes away first: the connection closes with the request unanswered (499);
 * - it is upgraded to a WebSocket: `ws` answers the handshake on the socket itself (101).
 *
 * Each connection keeps the replies of its requests in flight, and one 'close' listener per
 * connection ends those still unanswered. Fastify's onRequestAbort hook would instead add a
 * listener and a closure to every request (docs/benchmarks.md, session 24), and it sees no
 * upgraded request end.
 */
export function registerRequestEnds(app: FastifyInstance): RequestEnds {
  const listeners: UnansweredListener[] = [];

  function end(reply: FastifyReply, status: number): void {
    let i = 0;
    const next = () => {
      const listener = listeners[i++];
      if (listener) listener(reply.request, reply, status, next);
    };
    try {
      next();
    } catch (err) {
      // From a socket's 'close' event: thrown on, it would end the process.
      reply.log.error({ err }, 'finishing an unanswered request failed');
    }
  }

  function onClose(this: Connection): void {
    const open = this[kOpen];
    this[kOpen] = null;
    if (!open) return;
    // An answered reply still here is one whose onResponse hooks had not reached this module's.
    if (!Array.isArray(open)) {
      if (!answered(open)) end(open, CLIENT_CLOSED_REQUEST);
      return;
    }
    for (const reply of open) if (!answered(reply)) end(reply, CLIENT_CLOSED_REQUEST);
  }

  app.addHook('onRequest', (request, reply, done) => {
    const connection = request.raw.socket as Connection | null;
    if (connection) keep(connection, reply, onClose);
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const connection = request.raw.socket as Connection | null;
    if (connection) drop(connection, reply);
    done();
  });

  // A WebSocket route's handler is called once `ws` has answered the handshake. This hook is
  // registered before @fastify/websocket's, which takes the handler this one leaves.
  app.addHook('onRoute', (route) => {
    if (!route.websocket) return;
    const handler = route.handler as unknown as WebSocketHandler;
    const upgraded: WebSocketHandler = function (socket, request) {
      const connection = request.raw.socket as Connection | null;
      const reply = connection ? replyOf(connection, request) : undefined;
      if (reply) {
        drop(connection!, reply);
        end(reply, SWITCHING_PROTOCOLS);
      }
      return handler.call(this, socket, request);
    };
    route.handler = upgraded as unknown as typeof route.handler;
  });

  return { onUnanswered: (listener) => void listeners.push(listener) };
}

type WebSocketHandler = (
  this: FastifyInstance,
  socket: unknown,
  request: FastifyRequest,
) => unknown;

/** Whether a reply's response has been handed to the socket whole. */
function answered(reply: FastifyReply): boolean {
  return reply.raw.writableFinished;
}

function keep(connection: Connection, reply: FastifyReply, onClose: () => void): void {
  const open = connection[kOpen];
  if (open === undefined) {
    connection.once('close', onClose);
    connection[kOpen] = reply;
  } else if (open === null) {
    connection[kOpen] = reply; // the usual case: one request at a time on a connection
  } else if (Array.isArray(open)) {
    open.push(reply);
  } else {
    connection[kOpen] = [open, reply]; // pipelined: read before the one before it was answered
  }
}

function drop(connection: Connection, reply: FastifyReply): void {
  const open = connection[kOpen];
  if (open === reply) {
    connection[kOpen] = null;
  } else if (Array.isArray(open)) {
    const i = open.indexOf(reply);
    if (i !== -1) open.splice(i, 1);
    if (open.length === 0) connection[kOpen] = null;
  }
}

function replyOf(connection: Connection, request: FastifyRequest): FastifyReply | undefined {
  const open = connection[kOpen];
  if (!open) return undefined;
  if (!Array.isArray(open)) return open.request === request ? open : undefined;
  return open.find((reply) => reply.request === request);
}
