import type { SessionResponse } from '@hanger/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { setSessionUser } from '../../../lib/auth';

/** POST /auth/verify-email {token}: verifies the address and signs the user in. */
export async function verifyEmail(token: string): Promise<SessionResponse['data']> {
  const res = await api<SessionResponse>('/auth/verify-email', {
    method: 'POST',
    json: { token, client: 'browser' },
  });
  return res.data;
}

export function useVerifyEmail() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: verifyEmail,
    onSuccess: (session) => setSessionUser(qc, session.user, { reset: true }),
  });
}
