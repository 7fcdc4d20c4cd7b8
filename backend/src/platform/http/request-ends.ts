import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocketServer } from 'ws';

/** The status of a request whose client went away before its response, as NGINX logs it. */
export const CLIENT_CLOSED_REQUEST = 499;
/** The status of a request upgraded to a WebSocket: the handshake's, which `ws` writes itself. */
const SWITCHING_PROTOCOLS = 101;
/** The status of an upgrade `ws` refuses as malformed (`refuseHandshake`). */
const BAD_REQUEST = 400;

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
  /**
   * Ends the upgrades of a WebSocket server, which are answered on their sockets instead of
   * through Fastify: one accepted as 101 (the server's 'connection' event, which
   * @fastify/websocket emits with the request once `ws` has written the handshake), one `ws`
   * refuses as malformed as 400, answered here (its 'wsClientError', `refuseHandshake`). (`ws`
   * would answer a method other than GET 405, but only GET routes upgrade.)
   */
  watchUpgrades(server: WebSocketServer): void;
}

const kOpen = Symbol('hanger.openReplies');

/** A client's connection, with the replies of its requests in flight. */
type Connection = Socket & { [kOpen]?: FastifyReply | FastifyReply[] | null };

/**
 * The two ways a request ends without the response Fastify sends, and so without its onResponse
 * hooks, where the metrics, the span and the request's log line are finished:
 *
 * - its client goes away first: the connection closes with the request unanswered (499);
 * - it is upgraded to a WebSocket: `ws` answers the handshake on the socket itself (101), or
 *   refuses it there (400, `refuseHandshake`).
 *
 * Each connection keeps the replies of its requests in flight (onRequest keeps, onResponse
 * drops), and one 'close' listener per connection ends those still kept. Fastify's
 * onRequestAbort hook, used before, added a listener and a closure to every request, and saw no
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
      // From a socket's 'close' event or an immediate: thrown on, it would end the process.
      reply.log.error({ err }, 'finishing an unanswered request failed');
    }
  }

  /** Ends as 499 every reply still kept on a connection that has closed. */
  function endKept(connection: Connection): void {
    const open = connection[kOpen];
    connection[kOpen] = null;
    if (!open) return;
    if (!Array.isArray(open)) return end(open, CLIENT_CLOSED_REQUEST);
    for (const reply of open) end(reply, CLIENT_CLOSED_REQUEST);
  }

  /**
   * A response finishing as its connection closes emits 'finish' (and so runs onResponse, which
   * drops its reply) before the next check phase. One answered after the connection was destroyed
   * never does, though its `writableFinished` reads true: its bytes were dropped. So what is still
   * kept at the next immediate was never answered.
   */
  function onClose(this: Connection): void {
    setImmediate(endKept, this);
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

  /** Ends with `status` a request answered on its socket, if it is still in flight. */
  function answeredOnSocket(request: IncomingMessage, status: number): void {
    const connection = request.socket as Connection | null;
    const reply = connection ? replyOf(connection, request) : undefined;
    if (!reply) return;
    drop(connection!, reply);
    end(reply, status);
  }

  return {
    onUnanswered: (listener) => void listeners.push(listener),
    watchUpgrades: (server) => {
      server.on('connection', (_socket, request) => answeredOnSocket(request, SWITCHING_PROTOCOLS));
      server.on('wsClientError', (err, socket, request) => {
        refuseHandshake(socket, BAD_REQUEST, err.message);
        answeredOnSocket(request, BAD_REQUEST);
      });
    },
  };
}

/**
 * Answers on the socket a WebSocket handshake that `ws` refused (its 'wsClientError': a missing or
 * invalid Upgrade, Sec-WebSocket-Key, -Version or -Protocol header), as `ws` does
 * when nobody listens for that event, and closes the connection. Listening for it is what lets the
 * request end with this status rather than as a client gone (499). Every refusal names the
 * versions understood, as RFC 6455 (4.4) asks of a refused version.
 */
function refuseHandshake(socket: Duplex, status: number, reason: string): void {
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(reason)}`,
    'Sec-WebSocket-Version: 13, 8',
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${head.join('\r\n')}\r\n\r\n${reason}`);
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

function replyOf(connection: Connection, request: IncomingMessage): FastifyReply | undefined {
  const open = connection[kOpen];
  if (!open) return undefined;
  if (!Array.isArray(open)) return open.request.raw === request ? open : undefined;
  return open.find((reply) => reply.request.raw === request);
}
