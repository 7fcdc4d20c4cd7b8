export { AuthService } from './auth.service';
export { AuthRepository } from './auth.repository';
export { authRoutes } from './auth.routes';
export { cookieNames, type CookieNames } from './cookies';
export { createSessionResolver } from './session-resolver';
