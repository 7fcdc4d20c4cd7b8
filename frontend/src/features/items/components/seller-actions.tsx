import type { Item } from '@hanger/contracts';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { Button, ButtonLink } from '../../../components/ui/button';
import { Dialog } from '../../../components/ui/dialog';
import { useToast } from '../../../components/ui/toast';
import { errorMessage } from '../../../lib/api';
import { useDeleteItem } from '../api/delete-item';
import { useUpdateItem } from '../api/update-item';

/** What the seller can do with their own listing: edit, reserve/unreserve, mark sold, delete. */
export function SellerActions({ item }: { item: Item }) {
  const update = useUpdateItem();
  const del = useDeleteItem();
  const toast = useToast();
  const navigate = useNavigate();
  const [confirm, setConfirm] = useState(false);

  const setStatus = (status: Item['status'], message: string) =>
    update.mutate(
      { id: item.id, body: { status } },
      {
        onSuccess: () => toast.show(message, { tone: 'success' }),
        onError: (e) => toast.show(errorMessage(e), { tone: 'error' }),
      },
    );

  return (
    <div className="flex flex-wrap gap-2" aria-label="Manage your listing" role="group">
      <ButtonLink to={`/items/${item.id}/edit`} variant="secondary">
        Edit
      </ButtonLink>
      {item.status === 'active' && (
        <Button
          variant="secondary"
          onClick={() => setStatus('reserved', 'Marked as reserved')}
          loading={update.isPending}
        >
          Mark reserved
        </Button>
      )}
      {item.status === 'reserved' && (
        <Button
          variant="secondary"
          onClick={() => setStatus('active', 'Available again')}
          loading={update.isPending}
        >
          Make available
        </Button>
      )}
      {item.status !== 'sold' && (
        <Button
          variant="secondary"
          onClick={() => setStatus('sold', 'Marked as sold')}
          loading={update.isPending}
        >
          Mark sold
        </Button>
      )}
      <Button variant="ghost" className="text-coral-text" onClick={() => setConfirm(true)}>
        Delete
      </Button>
      <Dialog
        open={confirm}
        onClose={() => setConfirm(false)}
        title="Delete this listing?"
        footer={
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setConfirm(false)}>
              Keep it
            </Button>
            <Button
              variant="danger"
              loading={del.isPending}
              onClick={() =>
                del.mutate(item.id, {
                  onSuccess: () => {
                    toast.show('Listing deleted');
                    void navigate(`/u/${item.seller.username}`, { replace: true });
                  },
                  onError: (e) => toast.show(errorMessage(e), { tone: 'error' }),
                })
              }
            >
              Delete listing
            </Button>
          </div>
        }
      >
        <p className="text-sm text-muted">
          “{item.title}” will disappear from search, feeds and your profile. This cannot be undone.
        </p>
      </Dialog>
    </div>
  );
}
