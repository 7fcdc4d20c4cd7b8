import { NotificationList } from '../../features/notifications/components/notification-list';

export function Component() {
  return <NotificationList />;
}
