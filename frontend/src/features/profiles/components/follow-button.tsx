import { useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { Button } from '../../../components/ui/button';
import { useToast } from '../../../components/ui/toast';
import { errorMessage } from '../../../lib/api';
import { loginPath, useMe } from '../../../lib/auth';
import { useSetFollow } from '../api/follow-user';
import { useProfile } from '../api/get-profile';

/** Follow/Following toggle, optimistic. Hidden on your own profile. */
export function FollowButton({
  username,
  following,
  size = 'sm',
}: {
  username: string;
  following: boolean;
  size?: 'sm' | 'md';
}) {
  const me = useMe();
  const setFollow = useSetFollow();
  const toast = useToast();
  const navigate = useNavigate();
  const location = useLocation();
  const [state, setState] = useState(following);
  const [fromProps, setFromProps] = useState(following);
  if (fromProps !== following) {
    setFromProps(following);
    setState(following);
  }
  if (me.data?.username.toLowerCase() === username.toLowerCase()) return null;
  return (
    <Button
      size={size}
      variant={state ? 'secondary' : 'primary'}
      aria-pressed={state}
      aria-label={state ? `Unfollow ${username}` : `Follow ${username}`}
      onClick={() => {
        if (!me.data) return void navigate(loginPath(location.pathname));
        const next = !state;
        setState(next);
        setFollow.mutate(
          { username, follow: next },
          {
            onError: (e) => {
              setState(!next);
              toast.show(errorMessage(e), { tone: 'error' });
            },
          },
        );
      }}
    >
      {state ? 'Following' : 'Follow'}
    </Button>
  );
}

/** A follow button that knows the current state by reading the user's profile (cached). */
export function FollowUserButton({ username }: { username: string }) {
  const profile = useProfile(username);
  if (!profile.data) return null;
  return <FollowButton username={username} following={profile.data.followedByMe} />;
}
