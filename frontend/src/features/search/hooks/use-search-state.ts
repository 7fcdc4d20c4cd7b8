import { searchSorts, type SearchFiltersInput, type SearchSort } from '@hanger/contracts';
import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';

export const sorts = searchSorts;
export type Sort = SearchSort;

/** Everything the search page shows is derived from the URL, so links share and back/forward work. */
export interface SearchState {
  q: string;
  category: string | null;
  brand: string[];
  size: string[];
  condition: string[];
  /** Whole currency units in the URL (`priceMin=20`); the API takes cents. */
  priceMin: number | null;
  priceMax: number | null;
  radiusKm: number | null;
  lat: number | null;
  lng: number | null;
  sort: Sort;
}

export const emptySearch: SearchState = {
  q: '',
  category: null,
  brand: [],
  size: [],
  condition: [],
  priceMin: null,
  priceMax: null,
  radiusKm: null,
  lat: null,
  lng: null,
  sort: 'relevance',
};

const num = (v: string | null) =>
  v !== null && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null;

export function parseSearch(sp: URLSearchParams): SearchState {
  const sort = sp.get('sort');
  return {
    q: sp.get('q') ?? '',
    category: sp.get('category') || null,
    brand: sp.getAll('brand'),
    size: sp.getAll('size'),
    condition: sp.getAll('condition'),
    priceMin: num(sp.get('priceMin')),
    priceMax: num(sp.get('priceMax')),
    radiusKm: num(sp.get('radiusKm')),
    lat: num(sp.get('lat')),
    lng: num(sp.get('lng')),
    sort: (sorts as readonly string[]).includes(sort ?? '') ? (sort as Sort) : 'relevance',
  };
}

export function serializeSearch(s: SearchState): URLSearchParams {
  const sp = new URLSearchParams();
  if (s.q) sp.set('q', s.q);
  if (s.category) sp.set('category', s.category);
  for (const b of s.brand) sp.append('brand', b);
  for (const z of s.size) sp.append('size', z);
  for (const c of s.condition) sp.append('condition', c);
  if (s.priceMin !== null) sp.set('priceMin', String(s.priceMin));
  if (s.priceMax !== null) sp.set('priceMax', String(s.priceMax));
  if (s.radiusKm !== null && s.lat !== null && s.lng !== null) {
    sp.set('radiusKm', String(s.radiusKm));
    sp.set('lat', String(s.lat));
    sp.set('lng', String(s.lng));
  }
  if (s.sort !== 'relevance') sp.set('sort', s.sort);
  return sp;
}

/** The API's query (prices in minor units). */
export function toApiParams(s: SearchState): SearchFiltersInput & { sort: Sort } {
  return {
    q: s.q || undefined,
    category: (s.category ?? undefined) as SearchFiltersInput['category'],
    brand: s.brand.length ? s.brand : undefined,
    size: s.size.length ? s.size : undefined,
    condition: s.condition.length ? s.condition : undefined,
    priceMin: s.priceMin !== null ? Math.round(s.priceMin * 100) : undefined,
    priceMax: s.priceMax !== null ? Math.round(s.priceMax * 100) : undefined,
    ...(s.radiusKm !== null && s.lat !== null && s.lng !== null
      ? { radiusKm: s.radiusKm, lat: s.lat, lng: s.lng }
      : {}),
    sort: s.sort === 'relevance' && !s.q ? 'newest' : s.sort,
  };
}

/** Search state bound to the URL: every change is a new history entry. */
export function useSearchState() {
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => parseSearch(params), [params]);
  const setState = useCallback(
    (next: SearchState | ((s: SearchState) => SearchState)) => {
      setParams(
        (prev) => serializeSearch(typeof next === 'function' ? next(parseSearch(prev)) : next),
        {
          preventScrollReset: true,
        },
      );
    },
    [setParams],
  );
  return [state, setState] as const;
}
