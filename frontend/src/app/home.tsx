import { useQuery } from '@tanstack/react-query';
import type { Readiness } from '@hanger/contracts';
import { api } from '../lib/api';

export function HomePage() {
  const ready = useQuery({ queryKey: ['readyz'], queryFn: () => api<Readiness>('/readyz') });
  return (
    <section className="mx-auto max-w-[1280px] px-4 py-12">
      <h1 className="text-[32px] font-semibold tracking-tight">
        Second-hand clothing, first-hand style.
      </h1>
      <p className="mt-2 text-muted">List what you no longer wear; find what you will.</p>
      <p className="mt-8 text-sm text-muted" role="status">
        {ready.isPending
          ? 'Checking the service…'
          : ready.isError
            ? 'The service is not reachable right now.'
            : `Service ${ready.data.status} · ${ready.data.runtime} runtime`}
      </p>
    </section>
  );
}
