import type { Logger } from 'pino';
import type { Config } from './config';
import type { SessionResolver } from './platform/auth/plugin';
import { AccessTokens } from './platform/auth/tokens';
import {
  AuthRepository,
  AuthService,
  cookieNames,
  createSessionResolver,
  type CookieNames,
} from './modules/auth';
import {
  createUserDirectory,
  defaultAccountExtensions,
  UsersRepository,
  UsersService,
  type AccountExtensions,
  type AccountSecurity,
} from './modules/users';
import { withAdvisoryLock } from './platform/db/locks';
import { Mailer, smtpTransport } from './platform/mail/mailer';
import {
  NotificationProcessor,
  NotificationsRepository,
  NotificationsService,
  listingSubscribers,
  recordActivity,
  registerNotificationJobs,
} from './modules/notifications';
import { CommentsRepository, CommentsService } from './modules/comments';
import { RealtimeHub, RealtimePublisher, WsTickets } from './modules/realtime';
import {
  createFollowGraph,
  ReactionsRepository,
  ReactionsService,
  SocialRepository,
  SocialService,
} from './modules/social';
import {
  MediaRepository,
  MediaService,
  registerMediaJobs,
  SharpImageProcessor,
} from './modules/media';
import {
  brandKey,
  createItemCatalog,
  ListingEvents,
  ListingsRepository,
  ListingsService,
} from './modules/listings';
import {
  PostgresSearchIndex,
  SavedSearchesService,
  SearchService,
  indexDocumentFrom,
} from './modules/search';
import { FeedService, RedisTimelineStore, TableTimelineStore } from './modules/feed';
import { createAdapters, type AdapterOverrides, type Adapters } from './platform/runtime';
import { observeJobs } from './platform/observability';

/** Everything a process needs: adapters, the job registry filled by every module, and services. */
export interface Runtime {
  config: Config;
  log: Logger;
  adapters: Adapters;
  tokens: AccessTokens;
  resolveSession: SessionResolver;
  services: Services;
  /** Worker role: consume every queue, install schedules, recover and relay outbox jobs. */
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

/** Module services, for route registration in app.ts. */
export interface Services {
  mailer: Mailer;
  users: UsersService;
  auth: AuthService;
  accounts: AccountExtensions;
  cookies: CookieNames;
  social: SocialService;
  reactions: ReactionsService;
  comments: CommentsService;
  notifications: NotificationsService;
  realtime: { hub: RealtimeHub; publisher: RealtimePublisher; tickets: WsTickets };
  media: MediaService;
  listings: ListingsService;
  /** Subscribe to item.created / item.updated / item.statusChanged / item.deleted here. */
  listingEvents: ListingEvents;
  search: SearchService;
  savedSearches: SavedSearchesService;
  feed: FeedService;
}

/**
 * The composition root. Modules are wired here, explicitly, each with exactly the dependencies it
 * uses; the same wiring runs in the all-in-one process, the API and the worker.
 */
export async function createRuntime(
  config: Config,
  log: Logger,
  overrides: AdapterOverrides = {},
): Promise<Runtime> {
  const adapters = await createAdapters(config, log, overrides);
  const { registry, outbox, queue } = adapters;
  const tokens = new AccessTokens(config.appSecret);

  registry
    .define({
      name: 'outbox.cleanup',
      handle: async ({ olderThanHours }, ctx) => {
        const n = await outbox.cleanup(olderThanHours);
        ctx.log.info({ deleted: n }, 'finished outbox rows removed');
      },
    })
    .schedule({
      id: 'outbox-cleanup',
      name: 'outbox.cleanup',
      everyMs: 60 * 60_000,
      payload: { olderThanHours: 72 },
    });

  const resolveSession: SessionResolver = createSessionResolver(adapters.database.db);
  const db = adapters.database.db;

  // Accounts: users (profiles, export, deletion) and auth (credentials, sessions, mail tokens).
  const mailer = new Mailer(
    db,
    config.mail.smtpUrl ? await smtpTransport(config.mail.smtpUrl) : undefined,
    config.mail.from,
  );
  registry.define({
    name: 'mail.send',
    handle: ({ mailId }, ctx) => mailer.deliver(mailId, ctx.log),
  });
  const accounts = defaultAccountExtensions();
  const usersRepo = new UsersRepository(db);
  const users: UsersService = new UsersService({
    db,
    repo: usersRepo,
    outbox,
    storage: adapters.storage,
    extensions: accounts,
    security: (): AccountSecurity => auth,
  });
  const auth: AuthService = new AuthService({
    outbox,
    cache: adapters.cache,
    repo: new AuthRepository(db),
    usersRepo,
    users,
    mailer,
    tokens,
    publicUrl: config.publicUrl,
    secret: config.appSecret,
  });
  registry
    .define({ name: 'users.buildExport', handle: ({ exportId }) => users.buildExport(exportId) })
    .define({ name: 'users.purgeDeleted', handle: ({ userId }) => users.purgeDeleted(userId) })
    .define({
      name: 'auth.passwordResetRequested',
      handle: ({ email }, ctx) => auth.sendPasswordReset(email, ctx.jobId),
    });

  // Social graph, notifications and the realtime channel.
  const realtimePublisher = new RealtimePublisher(adapters.pubsub);
  const push = (userId: string, event: Parameters<RealtimePublisher['toUser']>[1]) =>
    realtimePublisher.toUser(userId, event);
  const userDirectory = createUserDirectory(db, (ids) => accounts.avatars(ids));
  // Media (uploads, the image pipeline, avatars) and listings (items, brands, price history).
  const media = new MediaService({
    repo: new MediaRepository(db),
    storage: adapters.storage,
    processor: new SharpImageProcessor({ cache: false }),
    publicMediaBaseUrl: config.publicMediaBaseUrl,
    log: log.child({ module: 'media' }),
    transaction: (fn) => outbox.transaction(fn),
  });
  registerMediaJobs(registry, media);
  accounts.avatars = (ids) => media.avatars(ids);
  accounts.releaseAvatar = (userId, tx) => media.releaseAvatar(userId, tx);
  accounts.validateAvatar = (userId, uploadId, tx, emit) =>
    media.attachAvatar(userId, uploadId, tx, emit);
  const listingEvents = new ListingEvents();
  listingEvents.register(registry);
  const listings = new ListingsService({
    repo: new ListingsRepository(db),
    media,
    sellers: {
      summaries: (ids) => userDirectory.summaries(ids),
      idByUsername: async (username) =>
        (await userDirectory.activeByUsername(username))?.id ?? null,
    },
    // The social module plugs its likes/favourites in here (one query per page, not per item).
    viewerState: (viewerId, itemIds) => reactions.viewerState(viewerId, itemIds),
    transaction: (fn) => outbox.transaction(fn),
  });
  accounts.deletionSteps.set('listings', async (userId) => {
    await listings.deleteAllOf(userId);
    await media.releaseAllOf(userId, db);
  });

  const socialRepo = new SocialRepository(db);
  const social = new SocialService(
    socialRepo,
    outbox,
    userDirectory,
    (emit, followerId, sellerId) => emit('feed.followed', { userId: followerId, sellerId }),
  );
  accounts.followedBy = (viewerId, ids) => social.followedBy(viewerId, ids);
  const itemCatalog = createItemCatalog(db);
  const reactions: ReactionsService = new ReactionsService(
    new ReactionsRepository(db),
    socialRepo,
    itemCatalog,
    outbox,
    async (ids, viewerId) => {
      const rendered = await listings.renderIds(ids, { userId: viewerId, role: 'user' });
      return new Map(rendered.map((item) => [item.id, item] as const));
    },
  );
  const comments = new CommentsService({
    repo: new CommentsRepository(db),
    outbox,
    items: itemCatalog,
    summaries: (ids) => userDirectory.summaries(ids),
    isBlockedEitherWay: (a, b) => social.isBlockedEitherWay(a, b),
    blockedIds: (viewerId) => social.blockedIds(viewerId),
  });
  const notificationsRepo = new NotificationsRepository(db);
  const notifications = new NotificationsService(
    notificationsRepo,
    (ids) => userDirectory.summaries(ids),
    push,
    log,
  );
  const notificationProcessor = new NotificationProcessor(
    notificationsRepo,
    {
      summaries: (ids) => userDirectory.summaries(ids),
      mutedTypes: (ids) => userDirectory.mutedTypes(ids),
      blockedWith: (actorId, ids) => social.blockedWith(actorId, ids),
      favoritersOf: (itemId, after, limit) => reactions.favoritersOf(itemId, after, limit),
    },
    push,
    log.child({ module: 'notifications' }),
  );
  registerNotificationJobs(registry, notificationProcessor);
  // What social data an account deletion removes and an export contains.
  accounts.deletionSteps
    .set('social', (userId) => social.removeUser(userId))
    .set('reactions', (userId) => reactions.removeUser(userId));
  accounts.exportSections
    .set('social', (userId) => social.exportGraph(userId))
    .set('reactions', (userId) => reactions.exportReactions(userId))
    .set('comments', (userId) => comments.exportOf(userId));
  const fromListings = listingSubscribers(
    notificationProcessor,
    async (itemId) => (await itemCatalog.facts(itemId))?.title,
  );
  listingEvents
    .on('item.statusChanged', (p, ctx) => fromListings.statusChanged(p, ctx))
    .on('item.updated', (p, ctx) => fromListings.updated(p, ctx));
  // Profile counts (listings for sale, sold) are recomputed from listings: idempotent.
  const recount = ({ sellerId }: { sellerId: string }) =>
    withAdvisoryLock(db, `recount:${sellerId}`, async (tx) =>
      users.setListingCounts(sellerId, await listings.sellerCounts(sellerId, tx), tx),
    );
  listingEvents
    .on('item.created', recount)
    .on('item.statusChanged', recount)
    .on('item.deleted', recount);
  const realtime = {
    publisher: realtimePublisher,
    tickets: new WsTickets(adapters.cache),
    hub: new RealtimeHub(
      adapters.pubsub,
      log.child({ module: 'realtime' }),
      {},
      async (userId) => [
        { type: 'notification.unread_count', count: await notifications.unreadCount(userId) },
      ],
      async (userId, sessionId) => (await resolveSession({ userId, sessionId })) !== null,
    ),
  };

  // Discovery: the search read model (kept in step by listing events), saved searches, the feed.
  const searchIndex = new PostgresSearchIndex(db);
  const search = new SearchService({
    index: searchIndex,
    cache: adapters.cache,
    db,
    render: (ids, viewer) => listings.renderIds(ids, viewer),
    snapshot: async (itemId) => {
      const record = await listings.snapshot(itemId);
      return record ? indexDocumentFrom(record, brandKey) : undefined;
    },
    userIdByUsername: async (username) =>
      (await userDirectory.activeByUsername(username))?.id ?? null,
    brandKey,
  });
  const savedSearches = new SavedSearchesService({
    db,
    search,
    transaction: (fn) => outbox.transaction(fn),
    notify: async (tx, emit, e) => {
      await recordActivity(tx, emit, {
        type: 'saved_search.match',
        actorId: null,
        subjectUserId: e.userId,
        itemId: e.itemId,
        data: {
          title: e.itemTitle,
          searchName: e.searchName,
          savedSearchId: e.savedSearchId,
          count: e.count,
        },
      });
    },
    later: (savedSearchId, delayMs, jobId) =>
      queue.enqueue('search.notifySavedSearch', { payload: { savedSearchId } }, { jobId, delayMs }),
  });
  const feed = new FeedService({
    timelines: adapters.redis
      ? new RedisTimelineStore(adapters.redis, config.redis?.prefix ?? 'hanger')
      : new TableTimelineStore(db),
    index: searchIndex,
    graph: createFollowGraph(db, userDirectory),
    cache: adapters.cache,
    render: (ids, viewer) => listings.renderIds(ids, viewer),
    viewerProfile: async (userId) => {
      const row = await usersRepo.byId(userId);
      return row && !row.deletedAt
        ? { lastActiveAt: row.lastActiveAt, lat: row.lat, lng: row.lng }
        : null;
    },
    touchActive: (userId) => usersRepo.touchActive(userId),
    enqueueRebuild: (userId) =>
      queue.enqueue('feed.rebuild', { payload: { userId } }, { jobId: `feed-rebuild-${userId}` }),
  });
  listingEvents
    .on('item.created', async (p) => {
      await search.sync(p.itemId);
      await savedSearches.matchNewItem(p.itemId);
      await feed.fanOut(p.itemId, p.sellerId);
    })
    .on('item.updated', (p) => search.sync(p.itemId))
    .on('item.statusChanged', (p) => search.sync(p.itemId))
    .on('item.deleted', (p) => search.sync(p.itemId));
  registry
    .define({
      name: 'search.notifySavedSearch',
      attempts: 5,
      backoffMs: 1_000,
      handle: ({ savedSearchId }) => savedSearches.flush(savedSearchId),
    })
    .define({
      name: 'search.refreshBrands',
      handle: async (_payload, ctx) => {
        ctx.log.info({ brands: await search.refreshBrands() }, 'brand popularity refreshed');
      },
    })
    .schedule({
      id: 'search-refresh-brands',
      name: 'search.refreshBrands',
      everyMs: 10 * 60_000,
      payload: {},
    })
    .define({ name: 'feed.rebuild', attempts: 3, handle: ({ userId }) => feed.rebuild(userId) })
    .define({
      name: 'feed.followed',
      handle: ({ userId, sellerId }) => feed.backfillFollow(userId, sellerId),
    });

  const services: Services = {
    mailer,
    users,
    auth,
    accounts,
    cookies: cookieNames(config.publicUrl),
    social,
    reactions,
    comments,
    notifications,
    realtime,
    media,
    listings,
    listingEvents,
    search,
    savedSearches,
    feed,
  };

  registry.verify();

  let workerStarted = false;
  return {
    config,
    log,
    adapters,
    tokens,
    resolveSession,
    services,
    async startWorker() {
      if (workerStarted) return;
      workerStarted = true;
      await queue.startWorkers({ ...outbox.hooks(), ...observeJobs(adapters.metrics.jobs) });
      await queue.startScheduler(registry.allSchedules());
      const recovered = await outbox.relay({ all: true });
      if (recovered > 0) log.info({ recovered }, 'unfinished jobs re-enqueued from the outbox');
      outbox.startRelay();
    },
    close: () => adapters.close(),
  };
}
