import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';
import { queryRows } from './types';

/**
 * The text-search objects of migration 0000 must behave identically on PGlite (PostgreSQL 18) and
 * on PostgreSQL 15: this suite runs on both runtimes.
 */
describe('full-text search and trigram SQL on this database engine', () => {
  let t: TestApp;
  const rows = <T>(q: SQL) => queryRows<T>(t.runtime.adapters.database.db, q);

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    await rows(sql`
      CREATE TABLE fts_probe (
        id int PRIMARY KEY,
        title text NOT NULL,
        brand text NOT NULL,
        description text NOT NULL,
        tags text[] NOT NULL,
        search tsvector GENERATED ALWAYS AS (hanger_search_vector(title, brand, description, tags)) STORED
      )`);
    await rows(sql`CREATE INDEX fts_probe_search ON fts_probe USING gin (search)`);
    await rows(
      sql`CREATE INDEX fts_probe_trgm ON fts_probe USING gin (hanger_fold(title) gin_trgm_ops)`,
    );
    await rows(sql`
      INSERT INTO fts_probe VALUES
        (1, 'Café crème wool coat', 'Élégant', 'Warm and long', ARRAY['winter']),
        (2, 'Denim jacket', 'Levi''s', 'Classic trucker, light wash', ARRAY['denim', 'vintage']),
        (3, 'Running shoes', 'Adidas', 'Barely worn, elegant lines', ARRAY['sport'])`);
  });
  afterAll(() => t.close());

  it('folds accents and case: "cafe elegant" finds "Café crème … Élégant"', async () => {
    const found = await rows<{ id: number }>(sql`
      SELECT id FROM fts_probe
      WHERE search @@ websearch_to_tsquery('public.hanger_search', 'cafe ELEGANT')`);
    expect(found.map((r) => r.id)).toEqual([1]);
  });

  it('ranks title and brand (A) above description and tags (B)', async () => {
    const ranked = await rows<{ id: number; rank: number }>(sql`
      SELECT id, ts_rank(search, websearch_to_tsquery('public.hanger_search', 'elegant')) AS rank
      FROM fts_probe
      WHERE search @@ websearch_to_tsquery('public.hanger_search', 'elegant')
      ORDER BY rank DESC`);
    expect(ranked.map((r) => r.id)).toEqual([1, 3]);
    expect(ranked[0]!.rank).toBeGreaterThan(ranked[1]!.rank);
  });

  it('supports websearch syntax: quotes, exclusion and or', async () => {
    const q = async (text: string) =>
      (
        await rows<{ id: number }>(sql`
          SELECT id FROM fts_probe
          WHERE search @@ websearch_to_tsquery('public.hanger_search', ${text}) ORDER BY id`)
      ).map((r) => r.id);
    expect(await q('"denim jacket"')).toEqual([2]);
    expect(await q('elegant -coat')).toEqual([3]);
    expect(await q('adidas or levis')).toEqual([3]);
    expect(await q("adidas or levi's")).toEqual([2, 3]);
  });

  it('finds typos by trigram similarity on the folded title', async () => {
    const found = await rows<{ id: number; sim: number }>(sql`
      SELECT id, similarity(hanger_fold(title), hanger_fold(${'denm jaket'})) AS sim
      FROM fts_probe
      WHERE hanger_fold(title) % hanger_fold(${'denm jaket'})`);
    expect(found.map((r) => r.id)).toEqual([2]);
    expect(found[0]!.sim).toBeGreaterThan(0.3);
  });

  it('uses the GIN index for the tsvector match', async () => {
    const plan = await t.runtime.adapters.database.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL enable_seqscan = off`);
      return queryRows<Record<string, string>>(
        tx,
        sql`EXPLAIN SELECT id FROM fts_probe
            WHERE search @@ websearch_to_tsquery('public.hanger_search', 'denim')`,
      );
    });
    expect(plan.map((r) => Object.values(r)[0]).join('\n')).toContain('fts_probe_search');
  });
});
