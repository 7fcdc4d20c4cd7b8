import { describe, expect, it } from 'vitest';
import { idFloor, pgArray, positivePart } from './postgres-search-index';

describe('search helpers', () => {
  it('drops -exclusions (words and quoted phrases) from the ranking query', () => {
    expect(positivePart('denim -skirt jacket')).toBe('denim  jacket');
    expect(positivePart('-"mini skirt" coat')).toBe('coat');
    expect(positivePart('-only')).toBe('');
    expect(positivePart('t-shirt')).toBe('t-shirt');
  });

  it('turns a time span below an id into the smallest UUIDv7 of that moment', () => {
    const ms = Date.UTC(2026, 0, 2);
    const hex = ms.toString(16).padStart(12, '0');
    const id = `${hex.slice(0, 8)}-${hex.slice(8)}-7abc-8def-0123456789ab`;
    const floor = idFloor(id, 86_400_000);
    const back = parseInt(floor.replace(/-/g, '').slice(0, 12), 16);
    expect(back).toBe(Date.UTC(2026, 0, 1));
    expect(floor).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-0000-0000-000000000000$/);
    expect(idFloor(id, 0.5 + 1000)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-0000/);
  });

  it('quotes array literal elements so commas, quotes and backslashes stay inside values', () => {
    expect(pgArray(['a,b', 'say "hi"', 'back\\slash'])).toBe(
      '{"a,b","say \\"hi\\"","back\\\\slash"}',
    );
  });
});
