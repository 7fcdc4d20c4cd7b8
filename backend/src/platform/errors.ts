import { errorStatus, type ErrorCode } from '@hanger/contracts';

/**
 * The one error type services throw. It carries a stable code; the HTTP layer maps it to a status
 * in one place (platform/http/errors.ts). Services never throw HTTP errors.
 */
export class AppError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export const notFound = (what = 'Resource') => new AppError('NOT_FOUND', `${what} not found`);
export const forbidden = (message = 'You are not allowed to do that') =>
  new AppError('FORBIDDEN', message);
export const conflict = (message: string, details?: unknown) =>
  new AppError('CONFLICT', message, details);
export const invalid = (message: string, details?: unknown) =>
  new AppError('VALIDATION_FAILED', message, details);
export const unauthenticated = (message = 'Authentication required') =>
  new AppError('UNAUTHENTICATED', message);
