import { InfiniteGrid } from '../../components/infinite-grid';
import { ButtonLink } from '../../components/ui/button';
import { useFavorites } from '../../features/items/api/get-favorites';
import { ItemCard } from '../../features/items/components/item-card';
import { usePageTitle } from '../../lib/use-page-title';

export function Component() {
  usePageTitle('Favourites');
  const favs = useFavorites();
  return (
    <div className="mx-auto w-full max-w-[1280px] px-4 py-6">
      <h1 className="mb-5 text-2xl font-semibold tracking-tight">Favourites</h1>
      <InfiniteGrid
        label="saved items"
        source={{
          items: favs.data,
          isPending: favs.isPending,
          isError: favs.isError,
          error: favs.error,
          hasNextPage: favs.hasNextPage,
          isFetchingNextPage: favs.isFetchingNextPage,
          fetchNextPage: favs.fetchNextPage,
          refetch: favs.refetch,
        }}
        getKey={(i) => i.id}
        renderItem={(item) => <ItemCard item={item} />}
        empty={
          <div className="rounded-card border border-hairline bg-surface p-8 text-center">
            <p className="font-medium">No favourites yet.</p>
            <p className="mt-1 text-sm text-muted">
              Tap “Save” on an item to keep it here and hear about price drops.
            </p>
            <ButtonLink to="/search" className="mt-4">
              Start browsing
            </ButtonLink>
          </div>
        }
      />
    </div>
  );
}
