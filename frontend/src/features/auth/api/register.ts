import type { RegisterBody, registerResponse } from '@hanger/contracts';
import { useMutation } from '@tanstack/react-query';
import type { z } from 'zod';
import { api } from '../../../lib/api';

export type RegisterResult = z.infer<typeof registerResponse>['data'];

/** POST /auth/register → 202 `verification_sent` (same answer for a known email). */
export async function register(body: RegisterBody): Promise<RegisterResult> {
  const res = await api<z.infer<typeof registerResponse>>('/auth/register', {
    method: 'POST',
    json: body,
  });
  return res.data;
}

export function useRegister() {
  return useMutation({ mutationFn: register });
}
