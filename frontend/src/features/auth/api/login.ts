import type { SessionResponse } from '@hanger/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { setSessionUser } from '../../../lib/auth';

export interface LoginInput {
  email: string;
  password: string;
}

/** POST /auth/login: sets the session cookies and returns the user. */
export async function login(body: LoginInput): Promise<SessionResponse['data']> {
  const res = await api<SessionResponse>('/auth/login', {
    method: 'POST',
    json: { ...body, client: 'browser' },
  });
  return res.data;
}

export function useLogin() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: login,
    onSuccess: (session) => setSessionUser(qc, session.user, { reset: true }),
  });
}
