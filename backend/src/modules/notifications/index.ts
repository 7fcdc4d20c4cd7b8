/** The notifications module's public surface: other modules import only from here. */
export { recordActivity, type ActivityEvent, type ActivityType } from './notifications.activity';
export { listingSubscribers, registerNotificationJobs } from './notifications.jobs';
export {
  NotificationProcessor,
  type NotificationAudience,
  type Push,
} from './notifications.processor';
export { NotificationsRepository } from './notifications.repository';
export { notificationsRoutes } from './notifications.routes';
export { NotificationsService } from './notifications.service';
