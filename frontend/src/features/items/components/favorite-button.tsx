import { useLocation, useNavigate } from 'react-router';
import { BookmarkIcon } from '../../../components/ui/icons';
import { useToast } from '../../../components/ui/toast';
import { loginPath, useMe } from '../../../lib/auth';
import { cn } from '../../../lib/cn';
import { useSetFavorite } from '../api/favorite-item';

export function FavoriteButton({
  itemId,
  favorited,
  title,
}: {
  itemId: string;
  favorited: boolean;
  title: string;
}) {
  const me = useMe();
  const setFav = useSetFavorite();
  const toast = useToast();
  const navigate = useNavigate();
  const location = useLocation();
  return (
    <button
      type="button"
      aria-pressed={favorited}
      aria-label={favorited ? `Remove ${title} from favourites` : `Save ${title} to favourites`}
      onClick={() => {
        if (!me.data) return void navigate(loginPath(location.pathname));
        setFav.mutate(
          { id: itemId, favorited: !favorited },
          {
            onSuccess: (s) =>
              toast.show(s.favorited ? 'Saved to your favourites' : 'Removed from favourites'),
          },
        );
      }}
      className={cn(
        'inline-flex h-10 items-center gap-2 rounded-full border px-4 text-sm font-medium transition-colors',
        favorited
          ? 'border-accent/40 bg-accent/10 text-ink'
          : 'border-hairline bg-surface text-ink hover:bg-canvas',
      )}
    >
      <BookmarkIcon size={18} fill={favorited ? 'currentColor' : 'none'} />
      {favorited ? 'Saved' : 'Save'}
    </button>
  );
}
