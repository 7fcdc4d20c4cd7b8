import { z } from 'zod';
import { isoDateTime, uuid } from './common';
import { notification } from './notifications';

/** Largest client → server frame the server accepts (bytes); larger closes the socket (1009). */
export const WS_MAX_INBOUND_BYTES = 16 * 1024;

/** `POST /ws/ticket`: a single-use credential for `GET /api/v1/ws?ticket=…` (non-browser clients). */
export const wsTicket = z
  .object({ ticket: z.string(), expiresAt: isoDateTime })
  .meta({ id: 'WsTicket' });
export type WsTicket = z.infer<typeof wsTicket>;

/** Server → client. Clients ignore types they do not know (forward compatible). */
export const wsServerEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), userId: uuid }),
  z.object({ type: z.literal('pong') }),
  z.object({ type: z.literal('notification.created'), notification }),
  z.object({ type: z.literal('notification.unread_count'), count: z.number().int() }),
  /** Messaging (issue 10) fills `message`; until then its shape is not fixed here. */
  z.object({
    type: z.literal('message.created'),
    conversationId: uuid,
    message: z.record(z.string(), z.unknown()),
  }),
  z.object({
    type: z.literal('item.updated'),
    itemId: uuid,
    changes: z.record(z.string(), z.unknown()),
  }),
  z.object({ type: z.literal('subscribed'), itemId: uuid }),
  z.object({ type: z.literal('unsubscribed'), itemId: uuid }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type WsServerEvent = z.infer<typeof wsServerEvent>;

/** Client → server. */
export const wsClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping') }),
  z.object({ type: z.literal('subscribe'), itemId: uuid }),
  z.object({ type: z.literal('unsubscribe'), itemId: uuid }),
]);
export type WsClientMessage = z.infer<typeof wsClientMessage>;
