import { useState } from 'react';
import { useNavigate } from 'react-router';
import { InfiniteGrid } from '../../components/infinite-grid';
import { Button } from '../../components/ui/button';
import { Dialog } from '../../components/ui/dialog';
import { FilterIcon } from '../../components/ui/icons';
import { useToast } from '../../components/ui/toast';
import { ItemCard } from '../../features/items/components/item-card';
import { useSaveSearch } from '../../features/search/api/save-search';
import { useSearchItems } from '../../features/search/api/search-items';
import { ActiveFilters } from '../../features/search/components/active-filters';
import { FilterPanel } from '../../features/search/components/filter-panel';
import { SearchBox } from '../../features/search/components/search-box';
import { sorts, useSearchState, type Sort } from '../../features/search/hooks/use-search-state';
import { errorMessage } from '../../lib/api';
import { loginPath, useMe } from '../../lib/auth';
import { usePageTitle } from '../../lib/use-page-title';

const sortLabels: Record<Sort, string> = {
  relevance: 'Most relevant',
  newest: 'Newest first',
  price_asc: 'Price: low to high',
  price_desc: 'Price: high to low',
};

export function Component() {
  const [state, setState] = useSearchState();
  usePageTitle(state.q ? `“${state.q}”` : 'Search');
  const results = useSearchItems(state);
  const me = useMe();
  const save = useSaveSearch();
  const toast = useToast();
  const navigate = useNavigate();
  const [filtersOpen, setFiltersOpen] = useState(false);
  const facets = results.data?.pages[0]?.meta.facets;
  const total = facets?.total;
  const corrected = results.data?.pages[0]?.meta.correctedQuery;
  const activeCount =
    (state.category ? 1 : 0) +
    state.brand.length +
    state.size.length +
    state.condition.length +
    (state.priceMin !== null || state.priceMax !== null ? 1 : 0) +
    (state.radiusKm !== null ? 1 : 0);

  const onSave = () => {
    if (!me.data) return void navigate(loginPath(`/search${window.location.search}`));
    const name = state.q || state.brand.join(', ') || 'My search';
    save.mutate(
      { state, name },
      {
        onSuccess: () =>
          toast.show('Search saved. We will tell you about new matches.', { tone: 'success' }),
        onError: (e) => toast.show(errorMessage(e), { tone: 'error' }),
      },
    );
  };

  const panel = <FilterPanel state={state} facets={facets} onChange={setState} />;
  return (
    <div className="mx-auto w-full max-w-[1280px] px-4 py-6">
      <h1 className="sr-only">Search</h1>
      <SearchBox
        className="mb-4 md:hidden"
        initial={state.q}
        onSearch={(q) => setState({ ...state, q })}
        onPickBrand={(b) =>
          setState({ ...state, brand: state.brand.includes(b) ? state.brand : [...state.brand, b] })
        }
      />
      <div className="flex gap-8">
        <aside aria-label="Filters" className="hidden w-60 shrink-0 md:block">
          <h2 className="mb-3 text-sm font-semibold tracking-wide text-muted uppercase">Filters</h2>
          {panel}
        </aside>
        <div className="min-w-0 flex-1">
          <div className="mb-4 flex flex-wrap items-center gap-3">
            <p role="status" className="text-sm text-muted" data-testid="result-count">
              {results.isPending
                ? 'Searching…'
                : total !== undefined
                  ? `${total.toLocaleString()}${facets?.approximate ? '+' : ''} ${total === 1 ? 'item' : 'items'}${
                      corrected
                        ? ` for “${corrected}” (no exact matches for “${state.q}”)`
                        : state.q
                          ? ` for “${state.q}”`
                          : ''
                    }`
                  : state.q
                    ? `Results for “${state.q}”`
                    : 'All items'}
            </p>
            <div className="ml-auto flex items-center gap-2">
              <Button
                variant="secondary"
                size="sm"
                className="md:hidden"
                onClick={() => setFiltersOpen(true)}
              >
                <FilterIcon size={16} /> Filters{activeCount ? ` (${activeCount})` : ''}
              </Button>
              <label className="sr-only" htmlFor="sort">
                Sort by
              </label>
              <select
                id="sort"
                value={state.sort}
                onChange={(e) => setState({ ...state, sort: e.target.value as Sort })}
                className="h-8 rounded-full border border-hairline bg-surface px-3 text-sm"
              >
                {sorts.map((s) => (
                  <option key={s} value={s}>
                    {sortLabels[s]}
                  </option>
                ))}
              </select>
              <Button variant="secondary" size="sm" onClick={onSave} loading={save.isPending}>
                Save this search
              </Button>
            </div>
          </div>
          <ActiveFilters state={state} onChange={setState} />
          <InfiniteGrid
            className="mt-4"
            label="search results"
            source={{
              items: results.data?.pages.flatMap((p) => p.data),
              isPending: results.isPending,
              isError: results.isError,
              error: results.error,
              hasNextPage: results.hasNextPage,
              isFetchingNextPage: results.isFetchingNextPage,
              fetchNextPage: results.fetchNextPage,
              refetch: results.refetch,
            }}
            getKey={(i) => i.id}
            renderItem={(item, i) => <ItemCard item={item} priority={i < 4} />}
            empty={
              <div className="rounded-card border border-hairline bg-surface p-8 text-center">
                <p className="font-medium">Nothing matches yet.</p>
                <p className="mt-1 text-sm text-muted">
                  Try fewer filters or another word, or save this search and we will tell you when
                  something turns up.
                </p>
              </div>
            }
          />
        </div>
      </div>
      <Dialog
        open={filtersOpen}
        onClose={() => setFiltersOpen(false)}
        title="Filters"
        variant="sheet"
        footer={
          <Button className="w-full" onClick={() => setFiltersOpen(false)}>
            Show results
          </Button>
        }
      >
        {panel}
      </Dialog>
    </div>
  );
}
