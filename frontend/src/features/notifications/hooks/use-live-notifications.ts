import type { WsServerEvent } from '@hanger/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useToast } from '../../../components/ui/toast';
import { refreshSession } from '../../../lib/api';
import { unreadCountKey } from '../api/get-unread-count';

/**
 * Keeps one WebSocket to /api/v1/ws while signed in (the session cookie authenticates it) and
 * folds server events into the query cache: the badge count updates live, the list refetches.
 * Reconnects with capped backoff; pings keep proxies from closing an idle socket.
 */
export function useLiveNotifications(userId: string | undefined) {
  const qc = useQueryClient();
  const toast = useToast();
  useEffect(() => {
    if (!userId) return;
    let ws: WebSocket | null = null;
    let closed = false;
    let attempt = 0;
    let retry: number | undefined;
    let ping: number | undefined;

    const connect = () => {
      const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
      ws = new WebSocket(`${proto}//${window.location.host}/api/v1/ws`);
      ws.onopen = () => {
        attempt = 0;
        // Catch up on anything missed while disconnected.
        void qc.invalidateQueries({ queryKey: ['notifications'] });
        ping = window.setInterval(() => ws?.send(JSON.stringify({ type: 'ping' })), 25_000);
      };
      ws.onmessage = (msg) => {
        let event: WsServerEvent;
        try {
          event = JSON.parse(String(msg.data)) as WsServerEvent;
        } catch {
          return;
        }
        if (event.type === 'notification.unread_count') {
          qc.setQueryData(unreadCountKey, event.count);
        } else if (event.type === 'notification.created') {
          qc.setQueryData<number>(
            unreadCountKey,
            (c) => (c ?? 0) + (event.notification.read ? 0 : 1),
          );
          void qc.invalidateQueries({ queryKey: ['notifications', 'list'] });
          toast.show(event.notification.text);
        } else if (event.type === 'item.updated') {
          void qc.invalidateQueries({ queryKey: ['items', 'detail', event.itemId] });
        }
        // Other event types (messages, pongs, …) are not this hook's business.
      };
      ws.onclose = (e) => {
        window.clearInterval(ping);
        if (closed) return;
        attempt += 1;
        const again = () => {
          if (!closed) retry = window.setTimeout(connect, Math.min(30_000, 1000 * 2 ** attempt));
        };
        // 1008: the access cookie expired; refresh the session before trying again.
        if (e.code === 1008) void refreshSession().then(again);
        else again();
      };
    };
    connect();
    return () => {
      closed = true;
      window.clearTimeout(retry);
      window.clearInterval(ping);
      ws?.close();
    };
  }, [userId, qc, toast]);
}
