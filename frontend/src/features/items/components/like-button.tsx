import { useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { HeartIcon } from '../../../components/ui/icons';
import { useMe, loginPath } from '../../../lib/auth';
import { cn } from '../../../lib/cn';
import { useSetLike } from '../api/like-item';

/**
 * The heart. Flips at once (optimistic) and quietly rolls back if the server says no. A visitor
 * is sent to log in and brought back.
 */
export function LikeButton({
  itemId,
  liked,
  count,
  variant = 'overlay',
  title,
}: {
  itemId: string;
  liked: boolean;
  count: number;
  variant?: 'overlay' | 'inline';
  title: string;
}) {
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  const setLike = useSetLike();
  const [state, setState] = useState({ liked, count });
  // A fresh copy from the server (a refetch) wins over the local optimistic state.
  const [fromProps, setFromProps] = useState({ liked, count });
  if (fromProps.liked !== liked || fromProps.count !== count) {
    setFromProps({ liked, count });
    setState({ liked, count });
  }

  const toggle = () => {
    if (!me.data) {
      void navigate(loginPath(`${location.pathname}${location.search}`));
      return;
    }
    const prev = state;
    const next = { liked: !prev.liked, count: Math.max(0, prev.count + (prev.liked ? -1 : 1)) };
    setState(next);
    setLike.mutate(
      { id: itemId, liked: next.liked },
      {
        onSuccess: (s) => setState({ liked: s.liked, count: s.likeCount }),
        onError: () => setState(prev),
      },
    );
  };

  // The visible count is part of the name (WCAG 2.5.3, label in name).
  const name = `${state.liked ? 'Unlike' : 'Like'} ${title}, ${state.count} ${state.count === 1 ? 'like' : 'likes'}`;
  if (variant === 'inline') {
    return (
      <button
        type="button"
        aria-pressed={state.liked}
        aria-label={name}
        onClick={toggle}
        className={cn(
          'inline-flex h-10 items-center gap-2 rounded-full border px-4 text-sm font-medium transition-colors',
          state.liked
            ? 'border-coral/40 bg-coral/10 text-coral-text'
            : 'border-hairline bg-surface text-ink hover:bg-canvas',
        )}
      >
        <HeartIcon size={18} fill={state.liked ? 'currentColor' : 'none'} />
        <span className="tabular">{state.count}</span>
      </button>
    );
  }
  return (
    <button
      type="button"
      aria-pressed={state.liked}
      aria-label={name}
      onClick={toggle}
      className={cn(
        'absolute top-2 right-2 inline-flex h-8 min-w-8 items-center justify-center gap-1 rounded-full bg-surface/90 px-2 text-xs font-medium shadow-sm backdrop-blur transition-transform active:scale-90',
        state.liked ? 'text-coral' : 'text-ink',
      )}
    >
      <HeartIcon size={16} fill={state.liked ? 'currentColor' : 'none'} />
      {state.count > 0 && <span className="tabular text-ink">{state.count}</span>}
    </button>
  );
}
