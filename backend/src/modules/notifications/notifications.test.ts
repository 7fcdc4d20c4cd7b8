import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';
import { seedItem } from '../../../test/seed-items';
import { createUser, type TestUser } from '../../../test/users';
import { users } from '../users/users.table';
import { activityEvents, notificationReceipts, notifications } from './notifications.table';

describe('notifications: event log → worker → inbox', () => {
  let t: TestApp;
  const db = () => t.runtime.adapters.database.db;
  const api = (
    method: 'GET' | 'POST' | 'DELETE' | 'PATCH',
    url: string,
    user?: TestUser,
    body?: unknown,
  ) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: user?.headers,
      ...(body === undefined ? {} : { payload: body as object }),
    });
  const inbox = async (user: TestUser, q = '') => {
    await t.settle();
    const res = await api('GET', `/notifications${q}`, user);
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const unread = async (user: TestUser) =>
    (await api('GET', '/notifications/unread-count', user)).json().data.count as number;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('tells a user about a new follower, once, and never the actor', async () => {
    const [ana, ben] = [await createUser(t, { displayName: 'Ana' }), await createUser(t)];
    await api('POST', `/users/${ben.username}/follow`, ana);
    await api('POST', `/users/${ben.username}/follow`, ana);
    const body = await inbox(ben);
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({
      type: 'follow.created',
      actorCount: 1,
      read: false,
      text: 'Ana started following you',
    });
    expect(body.data[0].actors[0].username).toBe(ana.username);
    expect((await inbox(ana)).data).toHaveLength(0);
    expect(await unread(ben)).toBe(1);
  });

  it('groups likes on one item while unread: "Ana and 12 others liked your …"', async () => {
    const seller = await createUser(t);
    const item = await seedItem(t, seller.id, { title: 'Suede jacket' });
    const ana = await createUser(t, { displayName: 'Ana' });
    const fans = await Promise.all(Array.from({ length: 12 }, () => createUser(t)));
    for (const fan of fans) await api('POST', `/items/${item.id}/like`, fan);
    await t.settle();
    await api('POST', `/items/${item.id}/like`, ana);
    // Unlike and like again: the same person is not counted twice.
    await api('DELETE', `/items/${item.id}/like`, fans[0]);
    await api('POST', `/items/${item.id}/like`, fans[0]);
    // The seller liking their own item notifies nobody.
    await api('POST', `/items/${item.id}/like`, seller);
    const body = await inbox(seller);
    expect(body.data).toHaveLength(1);
    const [n] = body.data;
    expect(n.type).toBe('item.liked');
    expect(n.actorCount).toBe(13);
    expect(n.item).toEqual({ id: item.id, title: 'Suede jacket' });
    expect(n.actors.length).toBeLessThanOrEqual(3);
    expect(n.actors[0].username).toBe(fans[0]!.username);
    expect(n.actors[1].displayName).toBe('Ana');

    // Once read, the next like starts a new group.
    await api('POST', `/notifications/${n.id}/read`, seller);
    const late = await createUser(t, { displayName: 'Late' });
    await api('POST', `/items/${item.id}/like`, late);
    const after = await inbox(seller);
    expect(after.data).toHaveLength(2);
    expect(after.data[0]).toMatchObject({ actorCount: 1, read: false });
    expect(after.data[0].text).toBe('Late liked your “Suede jacket”');
    expect(after.data[1]).toMatchObject({ id: n.id, read: true });
    expect((await inbox(seller, '?unread=true')).data).toHaveLength(1);
  });

  it('is idempotent per event: running the worker again adds nothing', async () => {
    const [ana, ben] = [await createUser(t), await createUser(t)];
    await api('POST', `/users/${ben.username}/follow`, ana);
    await t.settle();
    const [event] = await db()
      .select()
      .from(activityEvents)
      .where(eq(activityEvents.actorId, ana.id));
    const before = await db()
      .select()
      .from(notifications)
      .where(eq(notifications.recipientId, ben.id));
    await t.runtime.adapters.outbox.transaction(async (_tx, emit) => {
      await emit('notifications.processEvent', { eventId: event!.id });
      await emit('notifications.processEvent', { eventId: event!.id });
    });
    await t.settle();
    const after = await db()
      .select()
      .from(notifications)
      .where(eq(notifications.recipientId, ben.id));
    expect(after).toEqual(before);
    const receipts = await db()
      .select({ n: sql<number>`count(*)::int` })
      .from(notificationReceipts)
      .where(eq(notificationReceipts.eventId, event!.id));
    expect(receipts[0]!.n).toBe(1);
  });

  it('never notifies across a block, and respects muted types', async () => {
    const seller = await createUser(t);
    const item = await seedItem(t, seller.id);
    const [blocked, muter] = [await createUser(t), await createUser(t)];
    await api('POST', `/items/${item.id}/like`, blocked);
    await t.settle();
    await api('POST', `/notifications/read-all`, seller);
    await api('POST', `/users/${blocked.username}/block`, seller);
    // Blocked after liking: a later comment is refused; an event already in flight is dropped.
    await t.runtime.adapters.outbox.transaction(async (tx, emit) => {
      const { recordActivity } = await import('./index');
      await recordActivity(tx, emit, {
        type: 'item.liked',
        actorId: blocked.id,
        subjectUserId: seller.id,
        itemId: item.id,
        data: { title: item.title },
      });
    });
    expect((await inbox(seller, '?unread=true')).data).toHaveLength(0);

    await db()
      .update(users)
      .set({ mutedNotificationTypes: ['follow.created'] })
      .where(eq(users.id, muter.id));
    await api('POST', `/users/${muter.username}/follow`, seller);
    expect((await inbox(muter)).data).toHaveLength(0);
  });

  it('tells favouriters about reserved, sold and price drops on their saved item', async () => {
    const seller = await createUser(t);
    const item = await seedItem(t, seller.id, { title: 'Wool coat' });
    const savers = await Promise.all(Array.from({ length: 3 }, () => createUser(t)));
    for (const s of savers) await api('POST', `/items/${item.id}/favorite`, s);
    await api('POST', `/users/${savers[2]!.username}/block`, seller);
    await t.settle();
    // What the listings module emits (see listings.events.ts) when the seller edits the item.
    await t.runtime.adapters.outbox.transaction(async (_tx, emit) => {
      await emit('item.updated', {
        itemId: item.id,
        sellerId: seller.id,
        changed: ['priceCents'],
        priceDrop: { fromCents: 4500, toCents: 3900, currency: 'EUR' },
      });
      await emit('item.statusChanged', {
        itemId: item.id,
        sellerId: seller.id,
        from: 'active',
        to: 'reserved',
        by: 'seller',
      });
    });
    const body = await inbox(savers[0]!);
    const types = body.data.map((n: { type: string }) => n.type).sort();
    expect(types).toEqual(['favorite.price_drop', 'favorite.reserved']);
    const drop = body.data.find((n: { type: string }) => n.type === 'favorite.price_drop');
    expect(drop.data).toEqual({ priceCents: 3900, previousPriceCents: 4500, currency: 'EUR' });
    expect(drop.text).toBe('“Wool coat” you saved dropped to €39.00');
    expect((await inbox(savers[1]!)).data).toHaveLength(2);
    expect((await inbox(savers[2]!)).data).toHaveLength(0);
    expect((await inbox(seller)).data).toHaveLength(0);
  });

  it('marks read and read-all, only for the owner', async () => {
    const [ana, ben, eve] = [await createUser(t), await createUser(t), await createUser(t)];
    await api('POST', `/users/${ben.username}/follow`, ana);
    const item = await seedItem(t, ben.id);
    await api('POST', `/items/${item.id}/like`, ana);
    const [first] = (await inbox(ben)).data;
    expect(await unread(ben)).toBe(2);

    const stolen = await api('POST', `/notifications/${first.id}/read`, eve);
    expect(stolen.statusCode).toBe(404);
    expect(stolen.json().error.code).toBe('NOT_FOUND');
    expect((await inbox(eve)).data).toHaveLength(0);
    expect(await unread(ben)).toBe(2);

    const read = await api('POST', `/notifications/${first.id}/read`, ben);
    expect(read.statusCode).toBe(200);
    expect(read.json().data).toEqual({ count: 1 });
    expect((await api('POST', `/notifications/${first.id}/read`, ben)).json().data).toEqual({
      count: 1,
    });
    expect((await api('POST', '/notifications/read-all', eve)).json().data).toEqual({ count: 0 });
    expect(await unread(ben)).toBe(1);
    expect((await api('POST', '/notifications/read-all', ben)).json().data).toEqual({ count: 0 });
    expect((await inbox(ben, '?unread=true')).data).toHaveLength(0);
  });

  it('pages the inbox with cursors and rejects bad input with 4xx', async () => {
    const star = await createUser(t);
    const fans = await Promise.all(Array.from({ length: 5 }, () => createUser(t)));
    for (const fan of fans) {
      const item = await seedItem(t, star.id);
      await api('POST', `/items/${item.id}/like`, fan);
    }
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const body = await inbox(star, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...body.data.map((n: { id: string }) => n.id));
      cursor = body.meta.nextCursor;
    } while (cursor);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);

    for (const q of ['?unread=maybe', '?limit=500', '?cursor=%%%', '?cursor=WyJ4IiwieSJd']) {
      const res = await api('GET', `/notifications${q}`, star);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
    expect((await api('POST', '/notifications/not-a-uuid/read', star)).statusCode).toBe(400);
    for (const url of ['/notifications', '/notifications/unread-count']) {
      expect((await api('GET', url)).statusCode).toBe(401);
    }
    expect((await api('POST', '/notifications/read-all')).statusCode).toBe(401);
  });
});
