import type { FollowState, PublicProfile } from '@hanger/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { profileKey } from './get-profile';

/** POST (follow) or DELETE (unfollow) /users/{username}/follow */
export async function setFollow({
  username,
  follow,
}: {
  username: string;
  follow: boolean;
}): Promise<FollowState> {
  const res = await api<{ data: FollowState }>(`/users/${encodeURIComponent(username)}/follow`, {
    method: follow ? 'POST' : 'DELETE',
  });
  return res.data;
}

/** Optimistic on the cached profile; rolls back quietly on error. */
export function useSetFollow() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: setFollow,
    onMutate: async ({ username, follow }) => {
      const key = profileKey(username);
      await qc.cancelQueries({ queryKey: key });
      const prev = qc.getQueryData<PublicProfile>(key);
      if (prev) {
        qc.setQueryData<PublicProfile>(key, {
          ...prev,
          followedByMe: follow,
          counts: {
            ...prev.counts,
            followers: Math.max(0, prev.counts.followers + (follow ? 1 : -1)),
          },
        });
      }
      return { prev };
    },
    onError: (_e, { username }, ctx) => {
      if (ctx?.prev) qc.setQueryData(profileKey(username), ctx.prev);
    },
    onSuccess: (s, { username }) => {
      qc.setQueryData<PublicProfile>(profileKey(username), (p) =>
        p
          ? { ...p, followedByMe: s.following, counts: { ...p.counts, followers: s.followerCount } }
          : p,
      );
      void qc.invalidateQueries({ queryKey: ['feed'] });
      void qc.invalidateQueries({ queryKey: ['users', username.toLowerCase(), 'followers'] });
    },
  });
}
