import { useEffect, useRef } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { ButtonLink } from '../../../components/ui/button';
import { TextSkeleton } from '../../../components/ui/skeleton';
import { useToast } from '../../../components/ui/toast';
import { errorMessage } from '../../../lib/api';
import { useVerifyEmail } from '../api/verify-email';
import { AuthCard } from './auth-card';

/** `/verify-email?token=…`: verifies once on arrival, signs the user in and takes them home. */
export function VerifyEmail() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const verify = useVerifyEmail();
  const navigate = useNavigate();
  const toast = useToast();
  const started = useRef(false);

  useEffect(() => {
    if (started.current || !token) return;
    started.current = true;
    verify.mutate(token, {
      onSuccess: (s) => {
        toast.show(`Welcome to Hanger, ${s.user.displayName ?? s.user.username}!`, {
          tone: 'success',
        });
        void navigate('/', { replace: true });
      },
    });
  }, [token, verify, navigate, toast]);

  if (!token || verify.isError) {
    return (
      <AuthCard
        title="This link does not work"
        intro={verify.isError ? errorMessage(verify.error) : 'The verification link is incomplete.'}
      >
        <p className="mb-4 text-sm text-muted">
          Links expire after a while. Log in to get a fresh one, or create the account again.
        </p>
        <ButtonLink to="/login">Go to log in</ButtonLink>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Verifying your email…">
      <p role="status" className="sr-only">
        Verifying your email address
      </p>
      <TextSkeleton lines={2} />
    </AuthCard>
  );
}
