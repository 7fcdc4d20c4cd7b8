import type { Notification, UserSummary } from '@hanger/contracts';
import type { ActivityData } from './notifications.activity';
import type { NotificationRow } from './notifications.repository';

const nameOf = (u: UserSummary | undefined) => (u ? (u.displayName ?? u.username) : 'Someone');

function formatPrice(cents: number | undefined, currency: string | undefined): string {
  if (cents === undefined) return '';
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: currency ?? 'EUR' }).format(
      cents / 100,
    );
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency ?? ''}`.trim();
  }
}

/** "Ana", "Ana and Ben", "Ana and 12 others". */
export function actorPhrase(actors: UserSummary[], actorCount: number): string {
  const first = nameOf(actors[0]);
  if (actorCount <= 1) return first;
  if (actorCount === 2) return `${first} and ${nameOf(actors[1])}`;
  return `${first} and ${actorCount - 1} others`;
}

export function renderText(
  type: Notification['type'],
  actors: UserSummary[],
  actorCount: number,
  data: ActivityData,
): string {
  const who = actorPhrase(actors, actorCount);
  const title = data.title ? `“${data.title}”` : 'an item';
  switch (type) {
    case 'follow.created':
      return `${who} started following you`;
    case 'item.liked':
      return `${who} liked your ${title}`;
    case 'item.commented':
      return `${who} commented on your ${title}${data.excerpt ? `: ${data.excerpt}` : ''}`;
    case 'favorite.reserved':
      return `${title} you saved is now reserved`;
    case 'favorite.sold':
      return `${title} you saved has been sold`;
    case 'favorite.price_drop':
      return `${title} you saved dropped to ${formatPrice(data.priceCents, data.currency)}`;
    case 'message.created':
      return `${who} sent you a message`;
    case 'offer.event':
      return `${who} updated an offer on ${title}`;
    case 'saved_search.match':
      return data.count && data.searchName
        ? `${data.count === 1 ? '1 new item matches' : `${data.count} new items match`} your saved search “${data.searchName}”`
        : `New items match your saved search`;
  }
}

export function toNotification(
  row: NotificationRow,
  users: Map<string, UserSummary>,
): Notification {
  const type = row.type as Notification['type'];
  const data = row.data as ActivityData;
  const actors = row.recentActorIds.flatMap((id) => {
    const u = users.get(id);
    return u ? [u] : [];
  });
  return {
    id: row.id,
    type,
    actors,
    actorCount: row.actorCount,
    item: row.itemId ? { id: row.itemId, title: data.title ?? '' } : null,
    data: {
      ...(data.priceCents !== undefined ? { priceCents: data.priceCents } : {}),
      ...(data.previousPriceCents !== undefined
        ? { previousPriceCents: data.previousPriceCents }
        : {}),
      ...(data.currency !== undefined ? { currency: data.currency } : {}),
      ...(data.excerpt !== undefined ? { excerpt: data.excerpt } : {}),
    },
    text: renderText(type, actors, row.actorCount, data),
    read: row.readAt !== null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
