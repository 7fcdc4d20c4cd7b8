import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, strongPassword } from '../../../test/accounts';
import { createTestApp, type TestApp } from '../../../test/app';
import { seedItem } from '../../../test/seed-items';
import { png, uploadBytes } from '../../../test/uploads';
import { createUser } from '../../../test/users';
import { uploads } from '../media/media.table';
import { items } from '../listings/listings.table';
import { dataExports, users } from './users.table';

/** Deletion and export across modules: every module's step runs through the accounts extensions. */
describe('account deletion and export across modules', () => {
  let t: TestApp;
  const db = () => t.runtime.adapters.database.db;
  const inject = (
    method: 'GET' | 'POST' | 'DELETE' | 'PATCH',
    url: string,
    headers: object,
    payload?: object,
  ) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: headers as Record<string, string>,
      payload,
    });

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('exports follows, likes and comments, and deletion unwinds them with exact counters', async () => {
    const seller = await signUp(t, 'seller_sol');
    const leaver = await signUp(t, 'leaver_lou');
    const item = await seedItem(t, seller.user.id, { title: 'Wool coat' });

    expect(
      (await inject('POST', '/users/seller_sol/follow', leaver.headers)).statusCode,
    ).toBeLessThan(300);
    expect(
      (await inject('POST', '/users/leaver_lou/follow', seller.headers)).statusCode,
    ).toBeLessThan(300);
    expect(
      (await inject('POST', `/items/${item.id}/like`, leaver.headers)).statusCode,
    ).toBeLessThan(300);
    expect(
      (await inject('POST', `/items/${item.id}/favorite`, leaver.headers)).statusCode,
    ).toBeLessThan(300);
    const comment = await inject('POST', `/items/${item.id}/comments`, leaver.headers, {
      body: 'Is it warm?',
    });
    expect(comment.statusCode).toBe(201);
    await t.settle();

    const started = await inject('POST', '/me/export', leaver.headers);
    await t.settle();
    const [exp] = await db()
      .select()
      .from(dataExports)
      .where(eq(dataExports.id, started.json().data.id));
    const archive = JSON.parse(
      (await t.runtime.adapters.storage.get(exp!.objectKey!)).toString('utf8'),
    );
    expect(archive.social).toEqual({ following: ['seller_sol'], followers: ['seller_sol'] });
    expect(archive.reactions.likes.map((l: { itemId: string }) => l.itemId)).toEqual([item.id]);
    expect(archive.reactions.favorites).toHaveLength(1);
    expect(archive.comments.map((c: { body: string }) => c.body)).toEqual(['Is it warm?']);

    const del = await inject('DELETE', '/me', leaver.headers, { password: strongPassword });
    expect(del.statusCode).toBe(204);
    await t.settle();
    // The export held the erased PII: its file and row are gone.
    expect(
      await db().select().from(dataExports).where(eq(dataExports.userId, leaver.user.id)),
    ).toHaveLength(0);
    expect(await t.runtime.adapters.storage.head(exp!.objectKey!)).toBeNull();

    const [sellerRow] = await db().select().from(users).where(eq(users.id, seller.user.id));
    expect(sellerRow).toMatchObject({ followerCount: 0, followingCount: 0 });
    const [itemRow] = await db().select().from(items).where(eq(items.id, item.id));
    expect(itemRow).toMatchObject({ likeCount: 0, favoriteCount: 0, commentCount: 1 });

    const thread = await inject('GET', `/items/${item.id}/comments`, seller.headers);
    expect(thread.statusCode).toBe(200);
    expect(thread.json().data).toHaveLength(1);
    expect(thread.json().data[0].author).toMatchObject({
      username: 'deleted',
      displayName: 'Deleted account',
    });
    expect(thread.json().data[0].body).toBe('Is it warm?');
    expect(thread.json().data[0].author.id).not.toBe(leaver.user.id);
  });

  it('releases a removed avatar so the clean-up job can delete its files', async () => {
    const u = await createUser(t);
    const id = await uploadBytes(t, u, await png(64, 64), 'image/png', 'avatar');
    const set = await inject('PATCH', '/me', u.headers, { avatarUploadId: id });
    expect(set.statusCode).toBe(200);
    expect((await db().select().from(uploads).where(eq(uploads.id, id)))[0]!.releasedAt).toBeNull();
    const cleared = await inject('PATCH', '/me', u.headers, { avatarUploadId: null });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json().data.avatar).toBeNull();
    expect(
      (await db().select().from(uploads).where(eq(uploads.id, id)))[0]!.releasedAt,
    ).toBeInstanceOf(Date);
  });

  it('keeps profile listing and sold counts in step with the seller’s items', async () => {
    const seller = await createUser(t);
    const a = await seedItem(t, seller.id);
    await seedItem(t, seller.id);
    const sold = await inject('PATCH', `/items/${a.id}`, seller.headers, { status: 'sold' });
    expect(sold.statusCode).toBe(200);
    await t.settle();
    const profile = await inject('GET', `/users/${seller.username}`, seller.headers);
    expect(profile.json().data.counts).toMatchObject({ listings: 1, sold: 1 });
  });
});
