import { password } from '@hanger/contracts';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { Button, ButtonLink } from '../../../components/ui/button';
import { FormError, TextField } from '../../../components/ui/field';
import { errorMessage, fieldErrors } from '../../../lib/api';
import { formValues } from '../../../lib/form';
import { useResetPassword } from '../api/reset-password';
import { AuthCard } from './auth-card';

export function ResetPasswordForm() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const reset = useResetPassword();
  const [errors, setErrors] = useState<{ newPassword?: string | undefined; confirm?: string }>({});

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const v = formValues(e.currentTarget);
    const p = password.safeParse(v.newPassword ?? '');
    const errs: typeof errors = {};
    if (!p.success) errs.newPassword = p.error.issues[0]?.message;
    else if (v.newPassword !== v.confirm) errs.confirm = 'The two passwords are not the same';
    setErrors(errs);
    if (Object.keys(errs).length) return;
    reset.mutate(
      { token, newPassword: v.newPassword! },
      { onError: (err) => setErrors(fieldErrors(err)) },
    );
  };

  if (reset.isSuccess) {
    return (
      <AuthCard
        title="Password changed"
        intro="You have been logged out everywhere. Log in with your new password."
      >
        <ButtonLink to="/login">Log in</ButtonLink>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Choose a new password">
      <form noValidate onSubmit={onSubmit} className="flex flex-col gap-4">
        <FormError>
          {!token
            ? 'This link is incomplete. Ask for a new one.'
            : reset.error && !Object.keys(fieldErrors(reset.error)).length
              ? errorMessage(reset.error)
              : null}
        </FormError>
        <TextField
          label="New password"
          name="newPassword"
          type="password"
          autoComplete="new-password"
          hint="At least 8 characters."
          error={errors.newPassword}
        />
        <TextField
          label="Repeat the new password"
          name="confirm"
          type="password"
          autoComplete="new-password"
          error={errors.confirm}
        />
        <Button type="submit" size="lg" loading={reset.isPending} disabled={!token}>
          Save the new password
        </Button>
      </form>
    </AuthCard>
  );
}
