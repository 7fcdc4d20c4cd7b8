export { MediaService, type MediaServiceDeps, variantKey } from './media.service';
export { MediaRepository } from './media.repository';
export { registerMediaJobs, RELEASED_GRACE_HOURS } from './media.jobs';
export { mediaRoutes } from './media.routes';
export { SharpImageProcessor, type ImageProcessor } from './image-processor';
export type { Avatar } from './media.mapper';
