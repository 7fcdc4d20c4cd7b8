import type { Item } from '@hanger/contracts';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { Avatar } from '../../../components/ui/avatar';
import { Chip } from '../../../components/ui/chip';
import { categoryLabels, conditionLabels, formatPrice, label, timeAgo } from '../../../lib/format';
import { FavoriteButton } from './favorite-button';
import { LikeButton } from './like-button';

const statusText: Partial<Record<Item['status'], string>> = {
  reserved: 'Reserved',
  sold: 'Sold',
  hidden: 'Hidden from others',
};

/**
 * The right column of the item page: price, title, chips, seller card (with a slot for the follow
 * button the page composes in), like/save, description. `ownerActions` shows for the seller.
 */
export function ItemDetails({
  item,
  followSlot,
  ownerActions,
}: {
  item: Item;
  followSlot?: ReactNode;
  ownerActions?: ReactNode;
}) {
  const seller = item.seller;
  const status = statusText[item.status];
  return (
    <div className="flex flex-col gap-5">
      <div>
        {status && (
          <span className="mb-2 inline-block rounded-full bg-warning/15 px-2.5 py-0.5 text-xs font-semibold text-ink">
            {status}
          </span>
        )}
        <p className="tabular text-[32px] leading-tight font-semibold">
          {formatPrice(item.priceCents, item.currency)}
          {item.previousPriceCents != null && item.previousPriceCents > item.priceCents && (
            <span className="ml-2 text-base font-normal text-muted line-through">
              <span className="sr-only">was </span>
              {formatPrice(item.previousPriceCents, item.currency)}
            </span>
          )}
        </p>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">{item.title}</h1>
        <ul className="mt-3 flex flex-wrap gap-2" aria-label="Details">
          <li>
            <Chip>{item.brand}</Chip>
          </li>
          <li>
            <Chip>Size {item.size}</Chip>
          </li>
          <li>
            <Chip>{label(conditionLabels, item.condition)}</Chip>
          </li>
          <li>
            <Chip>{label(categoryLabels, item.category)}</Chip>
          </li>
        </ul>
      </div>
      {ownerActions}
      <div className="flex gap-2">
        <LikeButton
          itemId={item.id}
          liked={item.likedByMe}
          count={item.likeCount}
          title={item.title}
          variant="inline"
        />
        <FavoriteButton itemId={item.id} favorited={item.favoritedByMe} title={item.title} />
      </div>
      <div className="flex items-center gap-3 rounded-card border border-hairline bg-surface p-3">
        <Link to={`/u/${seller.username}`} className="flex min-w-0 flex-1 items-center gap-3">
          <Avatar src={seller.avatar?.variants.thumb?.url} name={seller.username} size={44} />
          <span className="min-w-0">
            <span className="block truncate font-semibold">
              {seller.displayName ?? seller.username}
            </span>
            <span className="block truncate text-sm text-muted">@{seller.username}</span>
          </span>
        </Link>
        {followSlot}
      </div>
      {item.description && (
        <section aria-labelledby="desc-heading">
          <h2 id="desc-heading" className="mb-1 text-sm font-semibold">
            Description
          </h2>
          <p className="text-[15px] leading-relaxed whitespace-pre-line">{item.description}</p>
        </section>
      )}
      {item.tags.length > 0 && (
        <ul className="flex flex-wrap gap-2" aria-label="Tags">
          {item.tags.map((t) => (
            <li key={t}>
              <Link
                to={`/search?q=${encodeURIComponent(t)}`}
                className="text-sm text-accent hover:underline"
              >
                #{t}
              </Link>
            </li>
          ))}
        </ul>
      )}
      <p className="text-xs text-muted">
        {item.location?.city ? `${item.location.city} · ` : ''}Listed {timeAgo(item.createdAt)}
      </p>
    </div>
  );
}
