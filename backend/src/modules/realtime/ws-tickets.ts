import { createHash, randomBytes } from 'node:crypto';
import type { Cache } from '../../platform/cache/types';

export const WS_TICKET_TTL_MS = 30_000;

interface TicketClaims {
  userId: string;
  sessionId: string;
}

const hash = (ticket: string) => createHash('sha256').update(ticket).digest('base64url');

/**
 * Short-lived, single-use credentials for the WebSocket upgrade, for clients that cannot send a
 * cookie or an Authorization header on it. Only a hash of the ticket is stored; the first
 * redemption wins (an atomic counter), so a replayed ticket is refused on every instance.
 */
export class WsTickets {
  constructor(private readonly cache: Cache) {}

  async issue(claims: TicketClaims): Promise<{ ticket: string; expiresAt: Date }> {
    const ticket = randomBytes(32).toString('base64url');
    await this.cache.set(`wst:${hash(ticket)}`, JSON.stringify(claims), WS_TICKET_TTL_MS);
    return { ticket, expiresAt: new Date(Date.now() + WS_TICKET_TTL_MS) };
  }

  async redeem(ticket: string): Promise<TicketClaims | null> {
    if (ticket.length < 20 || ticket.length > 100) return null;
    const key = hash(ticket);
    const uses = await this.cache.incr(`wstu:${key}`, WS_TICKET_TTL_MS * 2);
    if (uses !== 1) return null;
    const raw = await this.cache.get(`wst:${key}`);
    if (!raw) return null;
    await this.cache.del(`wst:${key}`);
    return JSON.parse(raw) as TicketClaims;
  }
}
