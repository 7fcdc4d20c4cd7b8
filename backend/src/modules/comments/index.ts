/** The comments module's public surface: other modules import only from here. */
export { CommentsRepository } from './comments.repository';
export { commentsRoutes } from './comments.routes';
export { CommentsService } from './comments.service';
