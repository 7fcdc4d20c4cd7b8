import type { SavedSearch } from '@hanger/contracts';
import { Link } from 'react-router';
import { Button } from '../../../components/ui/button';
import { Skeleton } from '../../../components/ui/skeleton';
import { errorMessage } from '../../../lib/api';
import { useDeleteSavedSearch } from '../api/delete-saved-search';
import { useSavedSearches } from '../api/get-saved-searches';
import { emptySearch, serializeSearch } from '../hooks/use-search-state';

/** The URL that reopens a saved search (prices are stored in cents, the URL uses whole units). */
export function savedSearchHref(s: SavedSearch): string {
  const f = s.filters;
  const sp = serializeSearch({
    ...emptySearch,
    q: f.q ?? '',
    category: f.category ?? null,
    brand: f.brand ?? [],
    size: f.size ?? [],
    condition: f.condition ?? [],
    priceMin: f.priceMin !== undefined ? f.priceMin / 100 : null,
    priceMax: f.priceMax !== undefined ? f.priceMax / 100 : null,
    radiusKm: f.radiusKm ?? null,
    lat: f.lat ?? null,
    lng: f.lng ?? null,
  });
  const q = sp.toString();
  return q ? `/search?${q}` : '/search';
}

/** The signed-in user's saved searches: open one, or stop its notifications. */
export function SavedSearches() {
  const list = useSavedSearches();
  const del = useDeleteSavedSearch();
  if (list.isPending) return <Skeleton className="h-16" />;
  if (list.isError) return <p role="alert">{errorMessage(list.error)}</p>;
  if (list.data.length === 0) {
    return (
      <p className="text-sm text-muted">
        None yet. On a search, choose “Save this search” to hear about new matches.
      </p>
    );
  }
  return (
    <ul className="divide-y divide-hairline">
      {list.data.map((s) => (
        <li key={s.id} className="flex items-center justify-between gap-3 py-3">
          <Link
            to={savedSearchHref(s)}
            className="min-w-0 truncate font-medium text-accent hover:underline"
          >
            {s.name}
          </Link>
          <Button
            variant="ghost"
            size="sm"
            onClick={() => del.mutate(s.id)}
            aria-label={`Delete saved search ${s.name}`}
          >
            Delete
          </Button>
        </li>
      ))}
    </ul>
  );
}
