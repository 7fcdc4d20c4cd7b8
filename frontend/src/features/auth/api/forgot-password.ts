import { useMutation } from '@tanstack/react-query';
import { api } from '../../../lib/api';

/** POST /auth/password/forgot {email}: always 202, whether or not the account exists. */
export async function forgotPassword(email: string): Promise<void> {
  await api('/auth/password/forgot', { method: 'POST', json: { email } });
}

export function useForgotPassword() {
  return useMutation({ mutationFn: forgotPassword });
}
