/** The feed module's public surface: other modules import only from here. */
export { feedRoutes } from './feed.routes';
export { FeedService, LARGE_SELLER_FOLLOWERS, type FeedDeps } from './feed.service';
export {
  RedisTimelineStore,
  TableTimelineStore,
  TIMELINE_CAP,
  type TimelineStore,
} from './timeline-store';
