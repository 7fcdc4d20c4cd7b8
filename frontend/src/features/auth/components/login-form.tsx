import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { Button } from '../../../components/ui/button';
import { FormError, TextField } from '../../../components/ui/field';
import { ApiError, errorMessage } from '../../../lib/api';
import { safeNext } from '../../../lib/auth';
import { formValues } from '../../../lib/form';
import { useLogin } from '../api/login';
import { AuthCard } from './auth-card';

export function LoginForm() {
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const navigate = useNavigate();
  const login = useLogin();
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({});

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const v = formValues(e.currentTarget);
    const errs: typeof errors = {};
    if (!v.email?.trim()) errs.email = 'Enter your email address';
    if (!v.password) errs.password = 'Enter your password';
    setErrors(errs);
    if (Object.keys(errs).length) return;
    login.mutate(
      { email: v.email!.trim(), password: v.password! },
      { onSuccess: () => void navigate(next, { replace: true }) },
    );
  };

  const err = login.error;
  const formError =
    err instanceof ApiError && err.status === 401
      ? 'That email and password do not match an account.'
      : err instanceof ApiError && err.status === 403
        ? err.message || 'Verify your email address first: check your inbox for the link.'
        : err
          ? errorMessage(err)
          : null;

  return (
    <AuthCard
      title="Log in"
      intro="Welcome back. Pick up where you left off."
      footer={
        <>
          New to Hanger?{' '}
          <Link
            to={`/register${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}
            className="font-medium text-accent underline"
          >
            Create an account
          </Link>
        </>
      }
    >
      <form noValidate onSubmit={onSubmit} className="flex flex-col gap-4">
        <FormError>{formError}</FormError>
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          error={errors.email}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          error={errors.password}
        />
        <Link to="/forgot-password" className="-mt-1 self-end text-sm text-accent underline">
          Forgot your password?
        </Link>
        <Button type="submit" size="lg" loading={login.isPending}>
          Log in
        </Button>
      </form>
    </AuthCard>
  );
}
