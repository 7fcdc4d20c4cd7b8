/** The realtime module's public surface: other modules import only from here. */
export { RealtimeHub, defaultHubOptions, type HubOptions } from './realtime.hub';
export { RealtimePublisher, itemChannel, userChannel } from './realtime.publisher';
export { realtimeRoutes } from './realtime.routes';
export { WsTickets } from './ws-tickets';
