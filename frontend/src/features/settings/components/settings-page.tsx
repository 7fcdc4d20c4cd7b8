import { updateMeBody, type Me } from '@hanger/contracts';
import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { Avatar } from '../../../components/ui/avatar';
import { Button } from '../../../components/ui/button';
import { Dialog } from '../../../components/ui/dialog';
import { FormError, TextArea, TextField } from '../../../components/ui/field';
import { Skeleton } from '../../../components/ui/skeleton';
import { useToast } from '../../../components/ui/toast';
import { errorMessage, fieldErrors } from '../../../lib/api';
import { formValues, validate, type FieldErrors } from '../../../lib/form';
import { timeAgo } from '../../../lib/format';
import { checkImageFile, uploadImage } from '../../../lib/upload';
import { usePageTitle } from '../../../lib/use-page-title';
import { useDeleteMe } from '../api/delete-me';
import { useExportData } from '../api/export-data';
import { useExports } from '../api/get-exports';
import { useSessions } from '../api/get-sessions';
import { useLogOutEverywhere } from '../api/log-out-everywhere';
import { useRevokeSession } from '../api/revoke-session';
import { useUpdateMe } from '../api/update-me';

function Card({
  id,
  title,
  intro,
  children,
}: {
  id: string;
  title: string;
  intro?: string;
  children: ReactNode;
}) {
  return (
    <section
      aria-labelledby={id}
      className="rounded-card border border-hairline bg-surface p-5 md:p-6"
    >
      <h2 id={id} className="text-lg font-semibold">
        {title}
      </h2>
      {intro && <p className="mt-1 text-sm text-muted">{intro}</p>}
      <div className="mt-4">{children}</div>
    </section>
  );
}

const nullIfEmpty = (s: string | undefined) => (s?.trim() ? s.trim() : null);

function ProfileForm({ me }: { me: Me }) {
  const update = useUpdateMe();
  const toast = useToast();
  const [errors, setErrors] = useState<FieldErrors>({});
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const v = formValues(e.currentTarget);
    const r = validate(updateMeBody, {
      displayName: nullIfEmpty(v.displayName),
      bio: nullIfEmpty(v.bio),
      city: nullIfEmpty(v.city),
      country: nullIfEmpty(v.country?.toUpperCase()),
      sizes: {
        top: nullIfEmpty(v.top),
        bottom: nullIfEmpty(v.bottom),
        shoes: nullIfEmpty(v.shoes),
      },
    });
    if (!r.ok) return setErrors(r.errors);
    setErrors({});
    update.mutate(r.data, {
      onSuccess: () => toast.show('Profile saved', { tone: 'success' }),
      onError: (err) =>
        setErrors({
          ...fieldErrors(err),
          _form: Object.keys(fieldErrors(err)).length ? undefined : errorMessage(err),
        }),
    });
  };
  return (
    <form noValidate onSubmit={onSubmit} className="flex flex-col gap-4">
      <FormError>{errors._form}</FormError>
      <TextField
        label="Display name"
        name="displayName"
        maxLength={50}
        defaultValue={me.displayName ?? ''}
        error={errors.displayName}
      />
      <TextArea
        label="Bio"
        name="bio"
        maxLength={500}
        defaultValue={me.bio ?? ''}
        error={errors.bio}
      />
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          label="City"
          name="city"
          maxLength={80}
          defaultValue={me.city ?? ''}
          error={errors.city}
        />
        <TextField
          label="Country"
          name="country"
          maxLength={2}
          hint="Two letters, e.g. FR"
          defaultValue={me.country ?? ''}
          error={errors.country}
        />
      </div>
      <fieldset className="grid gap-4 sm:grid-cols-3">
        <legend className="mb-2 text-sm font-medium">Your sizes</legend>
        <TextField
          label="Tops"
          name="top"
          maxLength={20}
          defaultValue={me.sizes.top ?? ''}
          error={errors.sizes}
        />
        <TextField
          label="Bottoms"
          name="bottom"
          maxLength={20}
          defaultValue={me.sizes.bottom ?? ''}
        />
        <TextField label="Shoes" name="shoes" maxLength={20} defaultValue={me.sizes.shoes ?? ''} />
      </fieldset>
      <Button type="submit" className="self-start" loading={update.isPending}>
        Save profile
      </Button>
    </form>
  );
}

function AvatarForm({ me }: { me: Me }) {
  const update = useUpdateMe();
  const toast = useToast();
  const input = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string>();
  const onFile = async (file: File | undefined) => {
    if (!file) return;
    const problem = checkImageFile(file);
    if (problem) return setError(problem);
    setError(undefined);
    try {
      setProgress(0);
      const id = await uploadImage(file, 'avatar', setProgress);
      await update.mutateAsync({ avatarUploadId: id });
      toast.show('New photo saved. It appears once processed.', { tone: 'success' });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setProgress(null);
    }
  };
  return (
    <div className="flex items-center gap-4">
      <Avatar src={me.avatar?.variants.thumb?.url} name={me.username} size={72} />
      <div className="flex flex-col gap-2">
        <div className="flex gap-2">
          <Button
            variant="secondary"
            onClick={() => input.current?.click()}
            loading={progress !== null}
          >
            {progress !== null ? `Uploading ${Math.round(progress * 100)}%` : 'Change photo'}
          </Button>
          {me.avatar && (
            <Button variant="ghost" onClick={() => update.mutate({ avatarUploadId: null })}>
              Remove
            </Button>
          )}
        </div>
        <input
          ref={input}
          type="file"
          accept="image/*"
          className="sr-only"
          aria-label="Choose a profile photo"
          onChange={(e) => void onFile(e.target.files?.[0])}
        />
        {me.avatar?.status === 'processing' && (
          <p className="text-sm text-muted">Processing your photo…</p>
        )}
        {error && (
          <p role="alert" className="text-sm text-coral-text">
            {error}
          </p>
        )}
      </div>
    </div>
  );
}

function PasswordForm() {
  const update = useUpdateMe();
  const toast = useToast();
  const [errors, setErrors] = useState<FieldErrors>({});
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const v = formValues(form);
    if (!v.currentPassword) return setErrors({ currentPassword: 'Enter your current password' });
    const r = validate(updateMeBody, { currentPassword: v.currentPassword, password: v.password });
    if (!r.ok) return setErrors(r.errors);
    setErrors({});
    update.mutate(r.data, {
      onSuccess: () => {
        form.reset();
        toast.show('Password changed', { tone: 'success' });
      },
      onError: (err) => {
        const fe = fieldErrors(err);
        setErrors(Object.keys(fe).length ? fe : { currentPassword: errorMessage(err) });
      },
    });
  };
  return (
    <form noValidate onSubmit={onSubmit} className="flex flex-col gap-4 sm:max-w-sm">
      <TextField
        label="Current password"
        name="currentPassword"
        type="password"
        autoComplete="current-password"
        error={errors.currentPassword}
      />
      <TextField
        label="New password"
        name="password"
        type="password"
        autoComplete="new-password"
        hint="At least 8 characters."
        error={errors.password}
      />
      <Button type="submit" className="self-start" loading={update.isPending}>
        Change password
      </Button>
    </form>
  );
}

function Sessions() {
  const sessions = useSessions();
  const revoke = useRevokeSession();
  const everywhere = useLogOutEverywhere();
  const navigate = useNavigate();
  if (sessions.isPending) return <Skeleton className="h-24" />;
  if (sessions.isError) return <p role="alert">{errorMessage(sessions.error)}</p>;
  return (
    <div className="flex flex-col gap-4">
      <ul className="divide-y divide-hairline">
        {sessions.data.map((s) => (
          <li key={s.id} className="flex items-center justify-between gap-3 py-3">
            <span className="min-w-0 text-sm">
              <span className="block truncate font-medium">{s.userAgent ?? 'Unknown device'}</span>
              <span className="block text-muted">
                {s.current ? 'This device' : `Last active ${timeAgo(s.lastUsedAt)}`}
                {s.ip ? ` · ${s.ip}` : ''}
              </span>
            </span>
            {!s.current && (
              <Button variant="secondary" size="sm" onClick={() => revoke.mutate(s.id)}>
                Log out
              </Button>
            )}
          </li>
        ))}
      </ul>
      <Button
        variant="secondary"
        className="self-start"
        loading={everywhere.isPending}
        onClick={() =>
          everywhere.mutate(undefined, {
            onSuccess: () => void navigate('/login', { replace: true }),
          })
        }
      >
        Log out everywhere
      </Button>
    </div>
  );
}

function ExportData() {
  const exp = useExportData();
  const list = useExports();
  const latest = list.data?.[0];
  return (
    <div className="flex flex-col gap-2">
      <Button
        variant="secondary"
        className="self-start"
        onClick={() => exp.mutate()}
        loading={exp.isPending}
        disabled={latest?.status === 'pending'}
      >
        Request my data
      </Button>
      {latest && (
        <p role="status" className="text-sm text-muted">
          {latest.status === 'pending' ? (
            'We are preparing your archive. This page updates when it is ready.'
          ) : latest.status === 'failed' ? (
            'The last export failed. Please try again.'
          ) : latest.downloadUrl ? (
            <>
              Your archive from {timeAgo(latest.completedAt ?? latest.createdAt)} is ready:{' '}
              <a href={latest.downloadUrl} className="font-medium text-accent underline" download>
                download it
              </a>
              {latest.expiresAt &&
                ` (link valid until ${new Date(latest.expiresAt).toLocaleString()})`}
              .
            </>
          ) : (
            'Your last archive has expired. Request a new one.'
          )}
        </p>
      )}
      {exp.isError && (
        <p role="alert" className="text-sm text-coral-text">
          {errorMessage(exp.error)}
        </p>
      )}
    </div>
  );
}

function DeleteAccount() {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string>();
  const del = useDeleteMe();
  const navigate = useNavigate();
  const toast = useToast();
  return (
    <>
      <Button variant="danger" onClick={() => setOpen(true)}>
        Delete my account
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} title="Delete your account?">
        <form
          noValidate
          className="flex flex-col gap-4"
          onSubmit={(e) => {
            e.preventDefault();
            const password = formValues(e.currentTarget).password ?? '';
            if (!password) return setError('Enter your password to confirm');
            del.mutate(password, {
              onSuccess: () => {
                toast.show('Your account has been deleted');
                void navigate('/', { replace: true });
              },
              onError: (err) => setError(errorMessage(err)),
            });
          }}
        >
          <p className="text-sm text-muted">
            Your profile, listings and messages are removed or anonymised. This cannot be undone.
          </p>
          <TextField
            label="Password"
            name="password"
            type="password"
            autoComplete="current-password"
            error={error}
            data-autofocus
          />
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" variant="danger" loading={del.isPending}>
              Delete for good
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

/** `savedSearches` is the search feature's list, composed in by the route. */
export function SettingsPage({ me, savedSearches }: { me: Me; savedSearches?: ReactNode }) {
  usePageTitle('Settings');
  return (
    <div className="mx-auto flex w-full max-w-2xl flex-col gap-5 px-4 py-6">
      <h1 className="text-2xl font-semibold tracking-tight">Settings</h1>
      <Card id="s-avatar" title="Profile photo">
        <AvatarForm me={me} />
      </Card>
      <Card id="s-profile" title="Profile" intro="Shown on your public profile.">
        <ProfileForm me={me} />
      </Card>
      <Card id="s-password" title="Password">
        <PasswordForm />
      </Card>
      <Card id="s-sessions" title="Where you are logged in">
        <Sessions />
      </Card>
      {savedSearches && (
        <Card id="s-saved" title="Saved searches" intro="We notify you when new items match.">
          {savedSearches}
        </Card>
      )}
      <Card
        id="s-export"
        title="Your data"
        intro="Get a copy of everything Hanger holds about you."
      >
        <ExportData />
      </Card>
      <Card id="s-delete" title="Delete account">
        <DeleteAccount />
      </Card>
    </div>
  );
}
