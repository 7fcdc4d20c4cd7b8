import { Link, Outlet } from 'react-router';

export function Layout() {
  return (
    <div className="min-h-dvh bg-canvas font-sans text-ink">
      <header className="border-b border-hairline bg-surface">
        <nav aria-label="Main" className="mx-auto flex h-14 max-w-[1280px] items-center px-4">
          <Link to="/" className="text-[20px] font-semibold tracking-tight text-accent">
            Hanger
          </Link>
        </nav>
      </header>
      <main id="main">
        <Outlet />
      </main>
    </div>
  );
}

export function NotFoundPage() {
  return (
    <section className="mx-auto max-w-[1280px] px-4 py-12">
      <h1 className="text-2xl font-semibold">Page not found</h1>
      <Link to="/" className="mt-4 inline-block text-accent underline">
        Back to the home page
      </Link>
    </section>
  );
}
