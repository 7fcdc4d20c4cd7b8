import { useMutation } from '@tanstack/react-query';
import { api } from '../../../lib/api';

/** POST /auth/password/reset {token, newPassword}: sets the password and ends every session. */
export async function resetPassword(body: { token: string; newPassword: string }): Promise<void> {
  await api('/auth/password/reset', { method: 'POST', json: body });
}

export function useResetPassword() {
  return useMutation({ mutationFn: resetPassword });
}
