import { SavedSearches } from '../../features/search/components/saved-searches';
import { SettingsPage } from '../../features/settings/components/settings-page';
import { useMe } from '../../lib/auth';

export function Component() {
  const me = useMe();
  // RequireAuth guarantees a user here.
  return me.data ? <SettingsPage me={me.data} savedSearches={<SavedSearches />} /> : null;
}
