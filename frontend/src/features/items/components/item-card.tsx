import type { Item } from '@hanger/contracts';
import { Link } from 'react-router';
import { BlurhashImage } from '../../../components/ui/blurhash-image';
import { conditionLabels, formatPrice, label } from '../../../lib/format';
import { LikeButton } from './like-button';

const statusBadge: Partial<Record<Item['status'], string>> = {
  reserved: 'Reserved',
  sold: 'Sold',
  hidden: 'Hidden',
};

/**
 * A grid card: the `thumb` at a 3:4 crop with its blurhash painted first, the heart in the corner,
 * then price (bold), brand, and size · condition.
 */
export function ItemCard({ item, priority }: { item: Item; priority?: boolean }) {
  const cover = item.images[0];
  const thumb = cover?.variants.thumb;
  const badge = statusBadge[item.status];
  return (
    <article
      className="group relative"
      aria-label={`${item.title}, ${formatPrice(item.priceCents, item.currency)}`}
    >
      <div className="relative">
        <Link
          to={`/items/${item.id}`}
          className="block rounded-card focus-visible:outline-offset-4"
        >
          <BlurhashImage
            src={thumb?.url}
            alt={item.title}
            blurhash={cover?.blurhash}
            dominantColor={cover?.dominantColor}
            width={thumb?.width ?? cover?.width}
            height={thumb?.height ?? cover?.height}
            aspect={3 / 4}
            priority={priority}
            className="rounded-card"
            imgClassName="transition-transform duration-200 group-hover:scale-[1.02]"
          />
          {badge && (
            <span className="absolute bottom-2 left-2 rounded-full bg-ink/85 px-2 py-0.5 text-xs font-medium text-surface">
              {badge}
            </span>
          )}
        </Link>
        <LikeButton
          itemId={item.id}
          liked={item.likedByMe}
          count={item.likeCount}
          title={item.title}
        />
      </div>
      <div className="mt-2 px-0.5">
        <p className="tabular text-[15px] font-semibold text-ink">
          {formatPrice(item.priceCents, item.currency)}
          {item.previousPriceCents != null && item.previousPriceCents > item.priceCents && (
            <span className="ml-1.5 text-xs font-normal text-muted line-through">
              {formatPrice(item.previousPriceCents, item.currency)}
            </span>
          )}
        </p>
        <p className="truncate text-sm text-ink">{item.brand}</p>
        <p className="truncate text-sm text-muted">
          {item.size} · {label(conditionLabels, item.condition)}
        </p>
      </div>
    </article>
  );
}
