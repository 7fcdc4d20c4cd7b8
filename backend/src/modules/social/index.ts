/** The social module's public surface: other modules import only from here. */
export { ReactionsRepository } from './reactions.repository';
export { reactionsRoutes } from './reactions.routes';
export { ReactionsService, type RenderItems } from './reactions.service';
export { SocialRepository } from './social.repository';
export { socialRoutes } from './social.routes';
export { SocialService } from './social.service';
export { createFollowGraph, type FollowGraph } from './follow-graph';
