import { Link } from 'react-router';
import { cn } from '../../../lib/cn';
import { BellIcon } from '../../../components/ui/icons';
import { useUnreadCount } from '../api/get-unread-count';

/** The bell with the live unread count; the count is part of the link's accessible name. */
export function NotificationBell({
  signedIn,
  className,
  withLabel,
}: {
  signedIn: boolean;
  className?: string;
  withLabel?: boolean;
}) {
  const unread = useUnreadCount(signedIn);
  const count = unread.data ?? 0;
  const name = count > 0 ? `Notifications, ${count} unread` : 'Notifications';
  return (
    <Link
      to="/notifications"
      aria-label={withLabel ? undefined : name}
      title={name}
      className={cn('relative inline-flex items-center justify-center', className)}
    >
      <span className="relative inline-flex">
        <BellIcon size={22} />
        {count > 0 && (
          <span
            data-testid="unread-badge"
            className="tabular absolute -top-1.5 -right-2 inline-flex h-[18px] min-w-[18px] items-center justify-center rounded-full bg-coral px-1 text-[11px] leading-none font-semibold text-white"
          >
            {count > 99 ? '99+' : count}
          </span>
        )}
      </span>
      {withLabel && (
        <span className="text-[11px]">
          Inbox{count > 0 && <span className="sr-only">, {count} unread notifications</span>}
        </span>
      )}
    </Link>
  );
}
