import type { PublicProfile } from '@hanger/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api';

export const profileKey = (username: string) =>
  ['users', username.toLowerCase(), 'profile'] as const;

/** GET /users/{username} */
export async function getProfile(username: string): Promise<PublicProfile> {
  const res = await api<{ data: PublicProfile }>(`/users/${encodeURIComponent(username)}`, {
    on401: 'anonymous',
  });
  return res.data;
}

export const profileQueryOptions = (username: string) =>
  queryOptions({ queryKey: profileKey(username), queryFn: () => getProfile(username) });

export function useProfile(username: string) {
  return useQuery(profileQueryOptions(username));
}
