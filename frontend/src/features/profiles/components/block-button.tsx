import { useState } from 'react';
import { Button } from '../../../components/ui/button';
import { Dialog } from '../../../components/ui/dialog';
import { useToast } from '../../../components/ui/toast';
import { errorMessage } from '../../../lib/api';
import { useMe } from '../../../lib/auth';
import { useSetBlock } from '../api/block-user';
import { useBlocks } from '../api/get-blocks';

/** Block (with a confirmation) or unblock someone. Blocking ends follows both ways. */
export function BlockButton({ username }: { username: string }) {
  const me = useMe();
  const signedIn = Boolean(me.data);
  const blocks = useBlocks(signedIn);
  const setBlock = useSetBlock();
  const toast = useToast();
  const [confirm, setConfirm] = useState(false);
  if (!signedIn || me.data?.username.toLowerCase() === username.toLowerCase()) return null;
  const blocked =
    blocks.data?.some((b) => b.user.username.toLowerCase() === username.toLowerCase()) ?? false;
  const run = (block: boolean) =>
    setBlock.mutate(
      { username, block },
      {
        onSuccess: () => {
          setConfirm(false);
          toast.show(block ? `You blocked @${username}` : `You unblocked @${username}`);
        },
        onError: (e) => toast.show(errorMessage(e), { tone: 'error' }),
      },
    );
  return (
    <>
      <Button
        variant="ghost"
        size="sm"
        className="text-muted"
        onClick={() => (blocked ? run(false) : setConfirm(true))}
        loading={setBlock.isPending}
      >
        {blocked ? 'Unblock' : 'Block'}
      </Button>
      <Dialog
        open={confirm}
        onClose={() => setConfirm(false)}
        title={`Block @${username}?`}
        footer={
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setConfirm(false)}>
              Cancel
            </Button>
            <Button variant="danger" onClick={() => run(true)} loading={setBlock.isPending}>
              Block
            </Button>
          </div>
        }
      >
        <p className="text-sm text-muted">
          You will stop following each other, and neither of you can follow, comment on or message
          the other. You can unblock later.
        </p>
      </Dialog>
    </>
  );
}
