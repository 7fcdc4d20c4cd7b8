import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { Button } from '../../../components/ui/button';
import { FormError, TextField } from '../../../components/ui/field';
import { errorMessage } from '../../../lib/api';
import { formValues } from '../../../lib/form';
import { useForgotPassword } from '../api/forgot-password';
import { AuthCard } from './auth-card';

export function ForgotPasswordForm() {
  const forgot = useForgotPassword();
  const [error, setError] = useState<string>();
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const email = formValues(e.currentTarget).email?.trim() ?? '';
    if (!/^\S+@\S+\.\S+$/.test(email)) {
      setError('Enter a valid email address');
      return;
    }
    setError(undefined);
    forgot.mutate(email);
  };
  if (forgot.isSuccess) {
    return (
      <AuthCard
        title="Check your email"
        intro="If an account uses that address, we sent it a link to choose a new password."
      >
        <Link to="/login" className="text-sm font-medium text-accent underline">
          Back to log in
        </Link>
      </AuthCard>
    );
  }
  return (
    <AuthCard
      title="Forgot your password?"
      intro="Enter your email and we will send you a link to choose a new one."
    >
      <form noValidate onSubmit={onSubmit} className="flex flex-col gap-4">
        <FormError>{forgot.error ? errorMessage(forgot.error) : null}</FormError>
        <TextField label="Email" name="email" type="email" autoComplete="email" error={error} />
        <Button type="submit" size="lg" loading={forgot.isPending}>
          Send the link
        </Button>
      </form>
    </AuthCard>
  );
}
