import { createCommentBody, type Comment } from '@hanger/contracts';
import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { Avatar } from '../../../components/ui/avatar';
import { Button } from '../../../components/ui/button';
import { TextArea } from '../../../components/ui/field';
import { Skeleton } from '../../../components/ui/skeleton';
import { useToast } from '../../../components/ui/toast';
import { errorMessage, fieldErrors } from '../../../lib/api';
import { loginPath, useMe } from '../../../lib/auth';
import { timeAgo } from '../../../lib/format';
import { useCreateComment } from '../api/create-comment';
import { useDeleteComment } from '../api/delete-comment';
import { useComments } from '../api/get-comments';
import { useUpdateComment } from '../api/update-comment';

function CommentRow({
  c,
  canDelete,
  canEdit,
}: {
  c: Comment;
  canDelete: boolean;
  canEdit: boolean;
}) {
  const del = useDeleteComment();
  const upd = useUpdateComment();
  const toast = useToast();
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string>();
  const name = c.author.displayName ?? c.author.username;
  return (
    <li className="flex gap-3 py-3">
      <Avatar src={c.author.avatar?.variants.thumb?.url} name={c.author.username} size={32} />
      <div className="min-w-0 flex-1">
        <p className="text-sm">
          <Link to={`/u/${c.author.username}`} className="font-semibold hover:underline">
            {name}
          </Link>{' '}
          <span className="text-xs text-muted">
            {timeAgo(c.createdAt)}
            {c.edited && ' · edited'}
          </span>
        </p>
        {editing ? (
          <form
            className="mt-1 flex flex-col gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              const raw = new FormData(e.currentTarget).get('body');
              const body = typeof raw === 'string' ? raw : '';
              const r = createCommentBody.safeParse({ body });
              if (!r.success) return setError(r.error.issues[0]?.message);
              upd.mutate(
                { id: c.id, itemId: c.itemId, body: r.data.body },
                {
                  onSuccess: () => setEditing(false),
                  onError: (err) => setError(errorMessage(err)),
                },
              );
            }}
          >
            <TextArea
              label="Edit comment"
              hideLabel
              name="body"
              defaultValue={c.body}
              error={error}
              className="min-h-20"
              data-autofocus
            />
            <div className="flex gap-2">
              <Button type="submit" size="sm" loading={upd.isPending}>
                Save
              </Button>
              <Button variant="ghost" size="sm" onClick={() => setEditing(false)}>
                Cancel
              </Button>
            </div>
          </form>
        ) : (
          <p className="mt-0.5 text-sm break-words whitespace-pre-line">{c.body}</p>
        )}
        {!editing && (canEdit || canDelete) && (
          <div className="mt-1 flex gap-3 text-xs">
            {canEdit && (
              <button
                type="button"
                className="text-muted hover:text-ink"
                onClick={() => setEditing(true)}
              >
                Edit
              </button>
            )}
            {canDelete && (
              <button
                type="button"
                className="text-muted hover:text-coral-text"
                onClick={() =>
                  del.mutate(
                    { id: c.id, itemId: c.itemId },
                    { onError: (err) => toast.show(errorMessage(err), { tone: 'error' }) },
                  )
                }
              >
                Delete
              </button>
            )}
          </div>
        )}
      </div>
    </li>
  );
}

/** The item's linear comment thread and the box to add one. */
export function Comments({
  itemId,
  sellerId,
  count,
}: {
  itemId: string;
  sellerId: string;
  count: number;
}) {
  const me = useMe();
  const list = useComments(itemId);
  const create = useCreateComment();
  const location = useLocation();
  const [error, setError] = useState<string>();
  const [text, setText] = useState('');
  const comments = list.data?.pages.flatMap((p) => p.data) ?? [];

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const r = createCommentBody.safeParse({ body: text });
    if (!r.success) return setError(r.error.issues[0]?.message);
    setError(undefined);
    create.mutate(
      { itemId, body: r.data.body },
      {
        onSuccess: () => setText(''),
        onError: (err) => setError(fieldErrors(err).body ?? errorMessage(err)),
      },
    );
  };

  return (
    <section aria-labelledby="comments-heading" className="mt-8">
      <h2 id="comments-heading" className="text-lg font-semibold">
        Comments{' '}
        <span className="tabular font-normal text-muted">({Math.max(count, comments.length)})</span>
      </h2>
      {list.isPending ? (
        <div className="mt-3 flex flex-col gap-3" aria-hidden="true">
          <Skeleton className="h-12" />
          <Skeleton className="h-12" />
        </div>
      ) : list.isError ? (
        <p role="alert" className="mt-3 text-sm">
          {errorMessage(list.error)}{' '}
          <button
            type="button"
            className="text-accent underline"
            onClick={() => void list.refetch()}
          >
            Retry
          </button>
        </p>
      ) : comments.length === 0 ? (
        <p className="mt-3 text-sm text-muted">
          No comments yet. Ask about fit, measurements or shipping.
        </p>
      ) : (
        <ul className="mt-2 divide-y divide-hairline">
          {comments.map((c) => (
            <CommentRow
              key={c.id}
              c={c}
              canEdit={me.data?.id === c.author.id}
              canDelete={me.data?.id === c.author.id || me.data?.id === sellerId}
            />
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <Button
          variant="ghost"
          size="sm"
          onClick={() => void list.fetchNextPage()}
          loading={list.isFetchingNextPage}
        >
          Show more comments
        </Button>
      )}
      {me.data ? (
        <form onSubmit={onSubmit} className="mt-4 flex flex-col gap-2" noValidate>
          <TextArea
            label="Add a comment"
            name="body"
            value={text}
            onChange={(e) => setText(e.target.value)}
            error={error}
            maxLength={1000}
            className="min-h-20"
          />
          <Button type="submit" className="self-end" loading={create.isPending}>
            Post comment
          </Button>
        </form>
      ) : (
        <p className="mt-4 text-sm">
          <Link to={loginPath(location.pathname)} className="font-medium text-accent underline">
            Log in
          </Link>{' '}
          to comment.
        </p>
      )}
    </section>
  );
}
