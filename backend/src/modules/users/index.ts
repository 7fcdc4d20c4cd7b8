export { UsersService } from './users.service';
export { UsersRepository, type UserRow } from './users.repository';
export { usersRoutes } from './users.routes';
export {
  defaultAccountExtensions,
  type AccountExtensions,
  type AccountSecurity,
  type Avatar,
} from './extensions';
export { toMe } from './users.mapper';
export { createUserDirectory, type UserDirectory } from './user-directory';
