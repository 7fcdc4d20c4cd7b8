export { ListingsService, type ListingsServiceDeps, type Viewer } from './listings.service';
export { ListingsRepository, brandKey, type ItemRecord } from './listings.repository';
export { listingsRoutes } from './listings.routes';
export { ListingEvents, listingEventNames, type ListingEventName } from './listings.events';
export {
  noViewerState,
  type SellerDirectory,
  type ViewerState,
  type ViewerStateProvider,
} from './listings.ports';
export {
  createItemCatalog,
  type ItemCatalog,
  type ItemFacts,
  type ItemCounter,
} from './item-catalog';
