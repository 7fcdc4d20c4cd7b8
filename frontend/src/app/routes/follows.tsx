import { useParams } from 'react-router';
import { UserList } from '../../features/profiles/components/user-list';

export function FollowersRoute() {
  const { username = '' } = useParams();
  return <UserList username={username} direction="followers" />;
}

export function FollowingRoute() {
  const { username = '' } = useParams();
  return <UserList username={username} direction="following" />;
}
