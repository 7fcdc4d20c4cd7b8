import { useParams } from 'react-router';
import { Skeleton, TextSkeleton } from '../../components/ui/skeleton';
import { ButtonLink } from '../../components/ui/button';
import { useItem } from '../../features/items/api/get-item';
import { Comments } from '../../features/items/components/comments';
import { ItemDetails } from '../../features/items/components/item-details';
import { ItemGallery } from '../../features/items/components/item-gallery';
import { SellerActions } from '../../features/items/components/seller-actions';
import { FollowUserButton } from '../../features/profiles/components/follow-button';
import { ApiError, errorMessage } from '../../lib/api';
import { useMe } from '../../lib/auth';
import { usePageTitle } from '../../lib/use-page-title';

export function Component() {
  const { id = '' } = useParams();
  const item = useItem(id);
  const me = useMe();
  usePageTitle(item.data?.title ?? 'Item');

  if (item.isPending) {
    return (
      <div className="mx-auto grid w-full max-w-[1280px] gap-8 px-4 py-6 md:grid-cols-[minmax(0,1fr)_400px]">
        <p role="status" className="sr-only">
          Loading the item
        </p>
        <Skeleton className="aspect-[3/4] w-full" />
        <div>
          <Skeleton className="h-9 w-32 rounded-md" />
          <Skeleton className="mt-3 h-7 w-3/4 rounded-md" />
          <TextSkeleton className="mt-6" lines={4} />
        </div>
      </div>
    );
  }
  if (item.isError) {
    const missing = item.error instanceof ApiError && item.error.status === 404;
    return (
      <div className="mx-auto max-w-xl px-4 py-16 text-center">
        <h1 className="text-2xl font-semibold">
          {missing ? 'This item is gone' : 'We could not load this item'}
        </h1>
        <p className="mt-2 text-muted">
          {missing ? 'It may have been sold or removed by the seller.' : errorMessage(item.error)}
        </p>
        <ButtonLink to="/search" className="mt-6">
          Find something similar
        </ButtonLink>
      </div>
    );
  }
  const it = item.data;
  const own = me.data?.id === it.seller.id;
  return (
    <div className="mx-auto grid w-full max-w-[1280px] gap-6 px-0 py-0 md:grid-cols-[minmax(0,1fr)_400px] md:gap-10 md:px-4 md:py-6">
      <ItemGallery images={it.images} title={it.title} />
      <div className="px-4 md:px-0">
        <ItemDetails
          item={it}
          ownerActions={own ? <SellerActions item={it} /> : null}
          followSlot={own ? null : <FollowUserButton username={it.seller.username} />}
        />
        <Comments itemId={it.id} sellerId={it.seller.id} count={it.commentCount} />
      </div>
    </div>
  );
}
