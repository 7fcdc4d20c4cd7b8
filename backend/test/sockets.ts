import WebSocket from 'ws';
import type { TestApp } from './app';
import type { TestUser } from './users';

/** A WebSocket ticket for `user`, issued by the API as a browser gets one. */
export async function issueTicket(t: TestApp, user: TestUser): Promise<string> {
  const issued = await t.app.inject({
    method: 'POST',
    url: '/api/v1/ws/ticket',
    headers: user.headers,
  });
  if (issued.statusCode !== 201) throw new Error(`ticket refused: ${issued.statusCode}`);
  return issued.json<{ data: { ticket: string } }>().data.ticket;
}

/**
 * Opens a WebSocket, waits for the server's first message (the upgrade answered and the socket
 * route running), runs `whileOpen`, then closes it and waits until it has closed.
 */
export async function openUntilFirstMessage(
  url: string,
  options: WebSocket.ClientOptions = {},
  whileOpen: () => Promise<void> = async () => {},
): Promise<void> {
  const ws = new WebSocket(url, options);
  try {
    await new Promise((resolve, reject) => {
      ws.once('message', resolve);
      ws.once('error', reject);
    });
    await whileOpen();
  } finally {
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.close();
    await closed;
  }
}
