import { useEffect, useRef, useState } from 'react';
import {
  Link,
  NavLink,
  Outlet,
  ScrollRestoration,
  useLocation,
  useNavigate,
  useNavigation,
} from 'react-router';
import { Avatar } from '../components/ui/avatar';
import { ButtonLink } from '../components/ui/button';
import { HomeIcon, PlusIcon, SearchIcon, SettingsIcon, UserIcon } from '../components/ui/icons';
import { useToast } from '../components/ui/toast';
import { useLogout } from '../features/auth/api/logout';
import { NotificationBell } from '../features/notifications/components/notification-bell';
import { useLiveNotifications } from '../features/notifications/hooks/use-live-notifications';
import { SearchBox } from '../features/search/components/search-box';
import { useMe } from '../lib/auth';
import { cn } from '../lib/cn';
import { RouteFocus } from './route-focus';

function AvatarMenu() {
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const { pathname } = useLocation();
  const [lastPath, setLastPath] = useState(pathname);
  if (lastPath !== pathname) {
    setLastPath(pathname);
    setOpen(false);
  }
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        root.current?.querySelector('button')?.focus();
      }
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);
  if (!me.data) return null;
  const user = me.data;
  const item = 'block px-4 py-2 text-sm hover:bg-canvas';
  return (
    <div ref={root} className="relative">
      <button
        type="button"
        aria-expanded={open}
        aria-controls="account-menu"
        aria-label={`Account menu for ${user.username}`}
        onClick={() => setOpen((o) => !o)}
        className="inline-flex rounded-full"
      >
        <Avatar src={user.avatar?.variants.thumb?.url} name={user.username} size={36} />
      </button>
      <div
        id="account-menu"
        hidden={!open}
        className="absolute top-full right-0 z-40 mt-2 w-56 animate-[pop_150ms_ease-out] overflow-hidden rounded-card border border-hairline bg-surface py-1 shadow-sheet"
      >
        <p className="border-b border-hairline px-4 py-2 text-sm">
          <span className="block font-semibold">{user.displayName ?? user.username}</span>
          <span className="block text-muted">@{user.username}</span>
        </p>
        <ul>
          <li>
            <Link className={item} to={`/u/${user.username}`}>
              Your profile
            </Link>
          </li>
          <li>
            <Link className={item} to="/favorites">
              Favourites
            </Link>
          </li>
          <li>
            <Link className={item} to="/settings">
              Settings
            </Link>
          </li>
          <li>
            <button
              type="button"
              className={cn(item, 'w-full text-left')}
              onClick={() =>
                logout.mutate(undefined, {
                  onSettled: () => {
                    toast.show('You are logged out');
                    void navigate('/');
                  },
                })
              }
            >
              Log out
            </button>
          </li>
        </ul>
      </div>
    </div>
  );
}

function NavProgress() {
  const nav = useNavigation();
  return (
    <div
      aria-hidden="true"
      className={cn(
        'fixed inset-x-0 top-0 z-[70] h-0.5 origin-left bg-accent transition-transform duration-200',
        nav.state === 'idle' ? 'scale-x-0' : 'scale-x-75',
      )}
    />
  );
}

function TabLink({
  to,
  label,
  icon,
  end,
}: {
  to: string;
  label: string;
  icon: React.ReactNode;
  end?: boolean;
}) {
  return (
    <NavLink
      to={to}
      end={end}
      className={({ isActive }) =>
        cn(
          'flex flex-1 flex-col items-center justify-center gap-0.5 text-[11px]',
          isActive ? 'text-accent' : 'text-muted',
        )
      }
    >
      {icon}
      {label}
    </NavLink>
  );
}

export function Layout() {
  const me = useMe();
  const user = me.data ?? null;
  const navigate = useNavigate();
  useLiveNotifications(user?.id);

  return (
    <div className="min-h-dvh bg-canvas font-sans text-ink">
      <NavProgress />
      <a
        href="#main"
        className="sr-only z-[80] rounded-full bg-accent px-4 py-2 text-on-accent focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-30 border-b border-hairline bg-surface/95 backdrop-blur">
        <nav
          aria-label="Main"
          className="mx-auto flex h-14 max-w-[1280px] items-center gap-4 px-4 md:h-16"
        >
          <Link
            to="/"
            className="text-[20px] font-semibold tracking-tight text-accent md:text-[22px]"
          >
            Hanger
          </Link>
          <SearchBox
            className="hidden max-w-xl flex-1 md:block"
            id="top-search"
            onSearch={(q) => void navigate(q ? `/search?q=${encodeURIComponent(q)}` : '/search')}
            onPickBrand={(b) => void navigate(`/search?brand=${encodeURIComponent(b)}`)}
          />
          <div className="ml-auto flex items-center gap-2 md:gap-3">
            {user ? (
              <>
                <div className="hidden items-center gap-3 md:flex">
                  <ButtonLink to="/sell">
                    <PlusIcon size={18} /> Sell
                  </ButtonLink>
                  <NotificationBell
                    signedIn
                    className="size-10 rounded-full hover:bg-hairline/60"
                  />
                  <AvatarMenu />
                </div>
                <Link
                  to="/settings"
                  aria-label="Settings"
                  title="Settings"
                  className="inline-flex size-10 items-center justify-center rounded-full text-ink md:hidden"
                >
                  <SettingsIcon size={22} />
                </Link>
              </>
            ) : me.isPending ? null : (
              <>
                <ButtonLink to="/login" variant="ghost" size="sm">
                  Log in
                </ButtonLink>
                <ButtonLink to="/register" size="sm">
                  Sign up
                </ButtonLink>
              </>
            )}
          </div>
        </nav>
      </header>
      <main id="main" tabIndex={-1} className="pb-24 outline-none md:pb-12">
        <Outlet />
      </main>
      <nav
        aria-label="Tabs"
        className="fixed inset-x-0 bottom-0 z-30 flex h-16 items-stretch border-t border-hairline bg-surface/95 pb-[env(safe-area-inset-bottom)] backdrop-blur md:hidden"
      >
        <TabLink to="/" end label="Home" icon={<HomeIcon size={22} />} />
        <TabLink to="/search" label="Search" icon={<SearchIcon size={22} />} />
        <NavLink to="/sell" className="flex flex-1 items-center justify-center" aria-label="Sell">
          <span className="inline-flex size-11 items-center justify-center rounded-full bg-accent text-on-accent">
            <PlusIcon size={24} />
          </span>
        </NavLink>
        <NotificationBell
          signedIn={Boolean(user)}
          withLabel
          className="flex-1 flex-col gap-0.5 text-muted"
        />
        <TabLink
          to={user ? `/u/${user.username}` : '/login'}
          label="Profile"
          icon={<UserIcon size={22} />}
        />
      </nav>
      <RouteFocus />
      <ScrollRestoration />
    </div>
  );
}
