import { categories, conditions, type SearchFacets } from '@hanger/contracts';
import { useId, useState, type FormEvent } from 'react';
import { Button } from '../../../components/ui/button';
import { ToggleChip } from '../../../components/ui/chip';
import { categoryLabels, conditionLabels, label } from '../../../lib/format';
import type { SearchState } from '../hooks/use-search-state';

const RADII = [5, 10, 25, 50, 100];

/** Buckets from the facets, plus any selected value the facets do not list (count unknown). */
type FacetBucket = SearchFacets['brand'][number];

function withSelected(
  buckets: FacetBucket[] | undefined,
  selected: string[],
  all?: readonly string[],
): FacetBucket[] {
  const list = buckets ? [...buckets] : (all ?? []).map((value) => ({ value, count: -1 }));
  for (const s of selected)
    if (!list.some((b) => b.value === s)) list.push({ value: s, count: -1 });
  return list;
}

function Count({ n }: { n: number }) {
  if (n < 0) return null;
  return <span className="tabular ml-auto pl-2 text-xs text-muted">{n}</span>;
}

function toggle(list: string[], v: string): string[] {
  return list.includes(v) ? list.filter((x) => x !== v) : [...list, v];
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  const id = useId();
  return (
    <section
      aria-labelledby={id}
      className="border-b border-hairline py-4 first:pt-0 last:border-0"
    >
      <h3 id={id} className="mb-2 text-sm font-semibold">
        {title}
      </h3>
      {children}
    </section>
  );
}

/**
 * Filters with facet counts: category (one), brand/size/condition (many), price range, distance.
 * Controlled: every change calls `onChange` with the next search state (the page writes the URL).
 */
export function FilterPanel({
  state,
  facets,
  onChange,
  locate = defaultLocate,
}: {
  state: SearchState;
  facets: SearchFacets | null | undefined;
  onChange: (next: SearchState) => void;
  locate?: () => Promise<{ lat: number; lng: number }>;
}) {
  const [min, setMin] = useState(state.priceMin?.toString() ?? '');
  const [max, setMax] = useState(state.priceMax?.toString() ?? '');
  const [priceError, setPriceError] = useState<string>();
  const [geoError, setGeoError] = useState<string>();
  const priceId = useId();
  // The URL changed (back/forward, a removed chip): show its price range.
  const [shown, setShown] = useState({ min: state.priceMin, max: state.priceMax });
  if (shown.min !== state.priceMin || shown.max !== state.priceMax) {
    setShown({ min: state.priceMin, max: state.priceMax });
    setMin(state.priceMin?.toString() ?? '');
    setMax(state.priceMax?.toString() ?? '');
  }

  const cats = withSelected(facets?.category, state.category ? [state.category] : [], categories);
  const brands = withSelected(facets?.brand, state.brand);
  const sizes = withSelected(facets?.size, state.size);
  const conds = withSelected(facets?.condition, state.condition, conditions);

  const applyPrice = (e: FormEvent) => {
    e.preventDefault();
    const lo = min.trim() === '' ? null : Number(min.replace(',', '.'));
    const hi = max.trim() === '' ? null : Number(max.replace(',', '.'));
    if ((lo !== null && !(lo >= 0)) || (hi !== null && !(hi >= 0)))
      return setPriceError('Enter amounts like 10 or 49.90');
    if (lo !== null && hi !== null && lo > hi)
      return setPriceError('The minimum is above the maximum');
    setPriceError(undefined);
    onChange({ ...state, priceMin: lo, priceMax: hi });
  };

  const setRadius = async (value: string) => {
    if (!value) return onChange({ ...state, radiusKm: null, lat: null, lng: null });
    const km = Number(value);
    if (state.lat !== null && state.lng !== null) return onChange({ ...state, radiusKm: km });
    try {
      const p = await locate();
      setGeoError(undefined);
      onChange({
        ...state,
        radiusKm: km,
        lat: Math.round(p.lat * 100) / 100,
        lng: Math.round(p.lng * 100) / 100,
      });
    } catch {
      setGeoError('We could not get your location. Allow location access to filter by distance.');
    }
  };

  return (
    <div aria-label="Filters" role="group" className="text-sm">
      <Section title="Category">
        <ul className="flex flex-col">
          {cats.map((b) => (
            <li key={b.value}>
              <label className="flex cursor-pointer items-center gap-2 rounded-md py-1.5">
                <input
                  type="radio"
                  name="category"
                  className="size-4 accent-accent"
                  checked={state.category === b.value}
                  onChange={() => onChange({ ...state, category: b.value })}
                />
                {label(categoryLabels, b.value)}
                <Count n={b.count} />
              </label>
            </li>
          ))}
        </ul>
        {state.category && (
          <button
            type="button"
            className="mt-1 text-xs text-accent underline"
            onClick={() => onChange({ ...state, category: null })}
          >
            Any category
          </button>
        )}
      </Section>
      {brands.length > 0 && (
        <Section title="Brand">
          <ul className="flex max-h-56 flex-col overflow-y-auto">
            {brands.map((b) => (
              <li key={b.value}>
                <label className="flex cursor-pointer items-center gap-2 py-1.5">
                  <input
                    type="checkbox"
                    className="size-4 accent-accent"
                    checked={state.brand.includes(b.value)}
                    onChange={() => onChange({ ...state, brand: toggle(state.brand, b.value) })}
                  />
                  {b.value}
                  <Count n={b.count} />
                </label>
              </li>
            ))}
          </ul>
        </Section>
      )}
      {sizes.length > 0 && (
        <Section title="Size">
          <div className="flex flex-wrap gap-2">
            {sizes.map((b) => (
              <ToggleChip
                key={b.value}
                pressed={state.size.includes(b.value)}
                onClick={() => onChange({ ...state, size: toggle(state.size, b.value) })}
              >
                <span className="sr-only">Size </span>
                {b.value}
                {b.count >= 0 && (
                  <span className="tabular text-xs opacity-75">
                    <span className="sr-only">, </span>
                    {b.count}
                    <span className="sr-only"> items</span>
                  </span>
                )}
              </ToggleChip>
            ))}
          </div>
        </Section>
      )}
      <Section title="Condition">
        <ul className="flex flex-col">
          {conds.map((b) => (
            <li key={b.value}>
              <label className="flex cursor-pointer items-center gap-2 py-1.5">
                <input
                  type="checkbox"
                  className="size-4 accent-accent"
                  checked={state.condition.includes(b.value)}
                  onChange={() =>
                    onChange({ ...state, condition: toggle(state.condition, b.value) })
                  }
                />
                {label(conditionLabels, b.value)}
                <Count n={b.count} />
              </label>
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Price">
        <form onSubmit={applyPrice} noValidate className="flex flex-col gap-2">
          <div className="flex items-end gap-2">
            <label className="flex flex-1 flex-col gap-1">
              <span className="text-xs text-muted">Min</span>
              <input
                inputMode="decimal"
                value={min}
                onChange={(e) => setMin(e.target.value)}
                placeholder={
                  facets?.price?.min != null ? String(Math.floor(facets.price.min / 100)) : '0'
                }
                aria-describedby={priceError ? priceId : undefined}
                aria-invalid={priceError ? true : undefined}
                className="tabular h-10 w-full rounded-[10px] border border-hairline bg-surface px-3"
              />
            </label>
            <span className="pb-2 text-muted" aria-hidden="true">
              –
            </span>
            <label className="flex flex-1 flex-col gap-1">
              <span className="text-xs text-muted">Max</span>
              <input
                inputMode="decimal"
                value={max}
                onChange={(e) => setMax(e.target.value)}
                placeholder={
                  facets?.price?.max != null ? String(Math.ceil(facets.price.max / 100)) : 'Any'
                }
                aria-describedby={priceError ? priceId : undefined}
                aria-invalid={priceError ? true : undefined}
                className="tabular h-10 w-full rounded-[10px] border border-hairline bg-surface px-3"
              />
            </label>
          </div>
          {priceError && (
            <p id={priceId} role="alert" className="text-coral-text">
              {priceError}
            </p>
          )}
          <Button type="submit" variant="secondary" size="sm">
            Apply price
          </Button>
        </form>
      </Section>
      <Section title="Distance">
        <select
          aria-label="Distance from you"
          value={state.radiusKm?.toString() ?? ''}
          onChange={(e) => void setRadius(e.target.value)}
          className="h-10 w-full rounded-[10px] border border-hairline bg-surface px-3"
        >
          <option value="">Anywhere</option>
          {RADII.map((r) => (
            <option key={r} value={r}>
              Within {r} km
            </option>
          ))}
        </select>
        {geoError && (
          <p role="alert" className="mt-1 text-coral-text">
            {geoError}
          </p>
        )}
      </Section>
    </div>
  );
}

function defaultLocate(): Promise<{ lat: number; lng: number }> {
  return new Promise((resolve, reject) => {
    if (!('geolocation' in navigator)) return reject(new Error('no geolocation'));
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lng: p.coords.longitude }),
      reject,
      { maximumAge: 600_000, timeout: 10_000 },
    );
  });
}
