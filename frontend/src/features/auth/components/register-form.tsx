import { registerBody } from '@hanger/contracts';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { Button } from '../../../components/ui/button';
import { FormError, TextField } from '../../../components/ui/field';
import { ApiError, errorMessage, fieldErrors } from '../../../lib/api';
import { formValues, validate, type FieldErrors } from '../../../lib/form';
import { useRegister } from '../api/register';
import { AuthCard } from './auth-card';

export function RegisterForm() {
  const register = useRegister();
  const [errors, setErrors] = useState<FieldErrors>({});

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const r = validate(registerBody, formValues(e.currentTarget));
    if (!r.ok) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    register.mutate(r.data, {
      onError: (err) => setErrors(fieldErrors(err)),
    });
  };

  if (register.isSuccess) {
    return (
      <AuthCard
        title="Check your email"
        intro={`We sent a link to ${register.data.email}. Open it to verify your address and sign in.`}
      >
        <p className="text-sm text-muted">
          Nothing after a few minutes? Look in your spam folder, or{' '}
          <button
            type="button"
            className="font-medium text-accent underline"
            onClick={() => register.reset()}
          >
            try again
          </button>
          .
        </p>
      </AuthCard>
    );
  }

  const err = register.error;
  const serverFieldErrors = Object.keys(fieldErrors(err)).length > 0;
  const formError =
    err && !serverFieldErrors
      ? err instanceof ApiError && err.status === 409
        ? err.message
        : errorMessage(err)
      : null;

  return (
    <AuthCard
      title="Create your account"
      intro="Sell what you no longer wear. Find what you will."
      footer={
        <>
          Already have an account?{' '}
          <Link to="/login" className="font-medium text-accent underline">
            Log in
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
          label="Username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          hint="3–30 letters, digits, “_” or “.”. Shown on your profile."
          error={errors.username}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          hint="At least 8 characters."
          error={errors.password}
        />
        <Button type="submit" size="lg" loading={register.isPending}>
          Create account
        </Button>
      </form>
    </AuthCard>
  );
}
