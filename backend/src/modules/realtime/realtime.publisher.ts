import type { WsServerEvent } from '@hanger/contracts';
import type { PubSub } from '../../platform/cache/types';

export const userChannel = (userId: string) => `rt:u:${userId}`;
export const itemChannel = (itemId: string) => `rt:i:${itemId}`;

/**
 * Sends server → client events to whoever is connected, on any API instance: it publishes on
 * the pub/sub port (Redis in services mode, in-process in embedded), and each instance's hub
 * forwards to its own sockets. Usable from the worker, which holds no sockets. Delivery is
 * best effort: clients recover by refetching (unread count, lists) on reconnect.
 */
export class RealtimePublisher {
  constructor(private readonly pubsub: PubSub) {}

  toUser(userId: string, event: WsServerEvent): Promise<void> {
    return this.pubsub.publish(userChannel(userId), JSON.stringify(event));
  }

  toItem(itemId: string, event: WsServerEvent): Promise<void> {
    return this.pubsub.publish(itemChannel(itemId), JSON.stringify(event));
  }
}
