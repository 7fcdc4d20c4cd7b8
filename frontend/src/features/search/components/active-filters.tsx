import { RemovableChip } from '../../../components/ui/chip';
import { categoryLabels, conditionLabels, label } from '../../../lib/format';
import { emptySearch, type SearchState } from '../hooks/use-search-state';

/** One removable chip per active filter, and "Clear all". */
export function ActiveFilters({
  state,
  onChange,
}: {
  state: SearchState;
  onChange: (s: SearchState) => void;
}) {
  const chips: { key: string; text: string; next: SearchState }[] = [];
  if (state.category)
    chips.push({
      key: 'cat',
      text: label(categoryLabels, state.category),
      next: { ...state, category: null },
    });
  for (const b of state.brand)
    chips.push({
      key: `b:${b}`,
      text: b,
      next: { ...state, brand: state.brand.filter((x) => x !== b) },
    });
  for (const s of state.size)
    chips.push({
      key: `s:${s}`,
      text: `Size ${s}`,
      next: { ...state, size: state.size.filter((x) => x !== s) },
    });
  for (const c of state.condition)
    chips.push({
      key: `c:${c}`,
      text: label(conditionLabels, c),
      next: { ...state, condition: state.condition.filter((x) => x !== c) },
    });
  if (state.priceMin !== null || state.priceMax !== null) {
    const text =
      state.priceMin !== null && state.priceMax !== null
        ? `${state.priceMin}–${state.priceMax}`
        : state.priceMin !== null
          ? `From ${state.priceMin}`
          : `Up to ${state.priceMax}`;
    chips.push({
      key: 'price',
      text: `Price ${text}`,
      next: { ...state, priceMin: null, priceMax: null },
    });
  }
  if (state.radiusKm !== null)
    chips.push({
      key: 'radius',
      text: `Within ${state.radiusKm} km`,
      next: { ...state, radiusKm: null, lat: null, lng: null },
    });
  if (chips.length === 0) return null;
  return (
    <div className="flex flex-wrap items-center gap-2" aria-label="Active filters" role="group">
      {chips.map((c) => (
        <RemovableChip
          key={c.key}
          onRemove={() => onChange(c.next)}
          removeLabel={`Remove filter ${c.text}`}
        >
          {c.text}
        </RemovableChip>
      ))}
      <button
        type="button"
        className="text-sm text-accent underline"
        onClick={() => onChange({ ...emptySearch, q: state.q, sort: state.sort })}
      >
        Clear all
      </button>
    </div>
  );
}
