import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';
import { seedItem } from '../../../test/seed-items';
import { createUser, type TestUser } from '../../../test/users';
import { items } from '../listings/listings.table';

describe('comments', () => {
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
  const commentCount = async (id: string) =>
    (await db().select({ n: items.commentCount }).from(items).where(eq(items.id, id)))[0]!.n;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('posts, lists oldest first with cursors, edits and deletes, keeping comment_count exact', async () => {
    const [seller, ana, ben] = [await createUser(t), await createUser(t), await createUser(t)];
    const item = await seedItem(t, seller.id);
    const posted = [];
    for (const [who, text] of [
      [ana, 'Is it still available?'],
      [ben, '  Would you ship to Lisbon?  '],
      [ana, 'Thanks!'],
    ] as const) {
      const res = await api('POST', `/items/${item.id}/comments`, who, { body: text });
      expect(res.statusCode).toBe(201);
      posted.push(res.json().data);
    }
    expect(posted[1].body).toBe('Would you ship to Lisbon?');
    expect(posted[0]).toMatchObject({ itemId: item.id, edited: false });
    expect(posted[0].author.username).toBe(ana.username);
    expect(await commentCount(item.id)).toBe(3);

    const p1 = (await api('GET', `/items/${item.id}/comments?limit=2`)).json();
    expect(p1.data.map((c: { id: string }) => c.id)).toEqual([posted[0].id, posted[1].id]);
    const p2 = (
      await api('GET', `/items/${item.id}/comments?limit=2&cursor=${p1.meta.nextCursor}`)
    ).json();
    expect(p2.data.map((c: { id: string }) => c.id)).toEqual([posted[2].id]);
    expect(p2.meta.nextCursor).toBeNull();

    const edited = await api('PATCH', `/comments/${posted[0].id}`, ana, {
      body: 'Still available?',
    });
    expect(edited.statusCode).toBe(200);
    expect(edited.json().data).toMatchObject({ body: 'Still available?', edited: true });

    expect((await api('DELETE', `/comments/${posted[2].id}`, ana)).statusCode).toBe(204);
    expect((await api('DELETE', `/comments/${posted[2].id}`, ana)).statusCode).toBe(404);
    expect(await commentCount(item.id)).toBe(2);
    const after = (await api('GET', `/items/${item.id}/comments`)).json();
    expect(after.data.map((c: { id: string }) => c.id)).toEqual([posted[0].id, posted[1].id]);
    expect((await api('PATCH', `/comments/${posted[2].id}`, ana, { body: 'x' })).statusCode).toBe(
      404,
    );
  });

  it('lets the seller delete any comment on their item, and nobody else edit or delete', async () => {
    const [seller, ana, eve] = [await createUser(t), await createUser(t), await createUser(t)];
    const item = await seedItem(t, seller.id);
    const c = (await api('POST', `/items/${item.id}/comments`, ana, { body: 'Hello' })).json().data;
    const editByOther = await api('PATCH', `/comments/${c.id}`, eve, { body: 'hacked' });
    expect(editByOther.statusCode).toBe(403);
    expect(editByOther.json().error.code).toBe('FORBIDDEN');
    expect((await api('PATCH', `/comments/${c.id}`, seller, { body: 'no' })).statusCode).toBe(403);
    expect((await api('DELETE', `/comments/${c.id}`, eve)).statusCode).toBe(403);
    expect((await api('DELETE', `/comments/${c.id}`, seller)).statusCode).toBe(204);
    expect(await commentCount(item.id)).toBe(0);
  });

  it('refuses comments across a block and hides blocked people’s comments from the blocker', async () => {
    const [seller, troll, viewer] = [await createUser(t), await createUser(t), await createUser(t)];
    const item = await seedItem(t, seller.id);
    const first = (await api('POST', `/items/${item.id}/comments`, troll, { body: 'first' })).json()
      .data;
    await api('POST', `/users/${troll.username}/block`, viewer);
    const seen = (await api('GET', `/items/${item.id}/comments`, viewer)).json().data;
    expect(seen).toHaveLength(0);
    expect((await api('GET', `/items/${item.id}/comments`)).json().data).toHaveLength(1);

    await api('POST', `/users/${troll.username}/block`, seller);
    const res = await api('POST', `/items/${item.id}/comments`, troll, { body: 'again' });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.details).toEqual({ reason: 'BLOCKED' });
    expect(await commentCount(item.id)).toBe(1);
    // Nor can the blocked author rewrite what is already in the seller's thread.
    const edit = await api('PATCH', `/comments/${first.id}`, troll, { body: 'rewritten' });
    expect(edit.statusCode).toBe(403);
    const thread = (await api('GET', `/items/${item.id}/comments`)).json().data;
    expect(thread[0].body).toBe('first');
  });

  it('rejects bad input with 400 and anonymous writes with 401', async () => {
    const [seller, ana] = [await createUser(t), await createUser(t)];
    const item = await seedItem(t, seller.id);
    for (const body of [
      { body: '' },
      { body: '   ' },
      { body: 'x'.repeat(1001) },
      {},
      { body: 1 },
      { body: 'ok', extra: 1 },
    ]) {
      const res = await api('POST', `/items/${item.id}/comments`, ana, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
    expect(
      (await api('POST', `/items/${item.id}/comments`, ana, { body: 'x'.repeat(1000) })).statusCode,
    ).toBe(201);
    expect(
      (await api('POST', `/items/${item.id}/comments`, undefined, { body: 'hi' })).statusCode,
    ).toBe(401);
    expect((await api('GET', '/items/nope/comments')).statusCode).toBe(400);
    expect(
      (await api('GET', '/items/01890000-0000-7000-8000-000000000000/comments')).statusCode,
    ).toBe(404);
    expect((await api('GET', `/items/${item.id}/comments?cursor=bad`)).statusCode).toBe(400);
  });

  it('notifies the seller of a comment with an excerpt', async () => {
    const [seller, ana] = [await createUser(t), await createUser(t, { displayName: 'Ana' })];
    const item = await seedItem(t, seller.id, { title: 'Linen shirt' });
    await api('POST', `/items/${item.id}/comments`, ana, { body: 'Does it shrink?' });
    await t.settle();
    const [n] = (await api('GET', '/notifications', seller)).json().data;
    expect(n).toMatchObject({
      type: 'item.commented',
      data: { excerpt: 'Does it shrink?' },
      text: 'Ana commented on your “Linen shirt”: Does it shrink?',
    });
  });
});
