import { z } from 'zod';

export const checkStatus = z.enum(['ok', 'down']);

export const healthResponse = z.object({ status: z.literal('ok') });

export const readinessResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({
    database: checkStatus,
    cache: checkStatus,
    queue: checkStatus,
    storage: checkStatus,
  }),
  runtime: z.enum(['embedded', 'services']),
});
export type Readiness = z.infer<typeof readinessResponse>;
