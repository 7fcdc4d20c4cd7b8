import { useParams } from 'react-router';
import { ButtonLink } from '../../components/ui/button';
import { TextSkeleton } from '../../components/ui/skeleton';
import { useItem } from '../../features/items/api/get-item';
import { SellForm } from '../../features/items/components/sell-form';
import { errorMessage } from '../../lib/api';
import { useMe } from '../../lib/auth';

export function Component() {
  const { id = '' } = useParams();
  const item = useItem(id);
  const me = useMe();
  if (item.isPending) {
    return (
      <div className="mx-auto max-w-3xl px-4 py-6">
        <h1 className="text-2xl font-semibold">Edit listing</h1>
        <TextSkeleton className="mt-6" lines={6} />
      </div>
    );
  }
  if (item.isError || item.data.seller.id !== me.data?.id) {
    return (
      <div className="mx-auto max-w-xl px-4 py-16 text-center">
        <h1 className="text-2xl font-semibold">You cannot edit this listing</h1>
        <p className="mt-2 text-muted">
          {item.isError ? errorMessage(item.error) : 'Only the seller can change it.'}
        </p>
        <ButtonLink to={`/items/${id}`} className="mt-6">
          Back to the item
        </ButtonLink>
      </div>
    );
  }
  return <SellForm item={item.data} />;
}
