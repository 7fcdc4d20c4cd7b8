/** The search module's public surface: other modules import only from here. */
export { PostgresSearchIndex } from './postgres-search-index';
export type {
  IndexDocument,
  IndexedItem,
  IndexQuery,
  IndexResult,
  SearchIndex,
} from './search.index';
export { SearchService, indexDocumentFrom, type SearchDeps } from './search.service';
export { SavedSearchesService, type SavedSearchDeps } from './saved-searches.service';
export { searchRoutes } from './search.routes';
