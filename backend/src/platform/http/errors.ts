import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
} from 'fastify-type-provider-zod';
import { errorStatus, type ErrorBody, type ErrorCode } from '@hanger/contracts';
import { AppError } from '../errors';

/** Fastify's own error codes that are the client's fault, mapped to ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
};

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

export function sendError(
  reply: FastifyReply,
  request: FastifyRequest,
  code: ErrorCode,
  message: string,
  details?: unknown,
) {
  const body: ErrorBody = {
    error: { code, message, ...(details === undefined ? {} : { details }), requestId: request.id },
  };
  return reply.status(errorStatus[code]).type('application/json').send(body);
}

/**
 * The one place errors become HTTP. Domain errors keep their code; Fastify's client errors are
 * mapped to ours; anything else is a 500 with a generic message (details only in the log).
 */
export function registerErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    if (error instanceof AppError) {
      return sendError(reply, request, error.code, error.message, error.details);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const details = error.validation.map((v) => ({
        path: [error.validationContext, ...pathOf(v.instancePath)].filter(Boolean).join('.'),
        message: v.message ?? 'Invalid value',
      }));
      return sendError(reply, request, 'VALIDATION_FAILED', 'The request is not valid', details);
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error }, 'response did not match its schema');
      return sendError(reply, request, 'INTERNAL', 'Something went wrong on our side');
    }
    const fe = error as FastifyError;
    const mapped =
      (fe.code && FASTIFY_CODES[fe.code]) ||
      (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500
        ? (STATUS_CODES[fe.statusCode] ?? 'VALIDATION_FAILED')
        : undefined);
    if (mapped) {
      const message = mapped === 'RATE_LIMITED' ? 'Too many requests; slow down' : fe.message;
      return sendError(reply, request, mapped, message);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, request, 'INTERNAL', 'Something went wrong on our side');
  });
}

function pathOf(instancePath: string): string[] {
  return instancePath.split('/').filter(Boolean);
}
