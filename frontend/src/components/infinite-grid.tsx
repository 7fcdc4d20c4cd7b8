import { useEffect, useRef, type ReactNode } from 'react';
import { errorMessage } from '../lib/api';
import { cn } from '../lib/cn';
import { Button } from './ui/button';
import { Skeleton } from './ui/skeleton';

export interface InfiniteSource<T> {
  items: T[] | undefined;
  isPending: boolean;
  isError: boolean;
  error: unknown;
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
  refetch: () => unknown;
}

export const gridClass =
  'grid grid-cols-2 gap-x-3 gap-y-6 sm:grid-cols-3 lg:grid-cols-4 xl:grid-cols-5';

/** A card-shaped skeleton: the 3:4 photo box and three text lines, exactly where cards will be. */
export function CardSkeleton() {
  return (
    <div aria-hidden="true">
      <Skeleton className="aspect-[3/4] w-full" />
      <Skeleton className="mt-2 h-4 w-1/3 rounded-md" />
      <Skeleton className="mt-1.5 h-3.5 w-2/3 rounded-md" />
      <Skeleton className="mt-1.5 h-3.5 w-1/2 rounded-md" />
    </div>
  );
}

/**
 * An infinitely scrolling grid: a sentinel near the end asks for the next page; skeleton cards
 * hold the space while it loads; a network error keeps what is shown and offers a retry; "Load
 * more" stays as a keyboard/no-IntersectionObserver fallback.
 */
export function InfiniteGrid<T>({
  source,
  getKey,
  renderItem,
  label,
  empty,
  skeletonCount = 10,
  className,
}: {
  source: InfiniteSource<T>;
  getKey: (item: T) => string;
  renderItem: (item: T, index: number) => ReactNode;
  label: string;
  empty: ReactNode;
  skeletonCount?: number;
  className?: string;
}) {
  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage, isError } = source;
  const fetchRef = useRef(fetchNextPage);
  useEffect(() => {
    fetchRef.current = fetchNextPage;
  });

  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasNextPage || isFetchingNextPage || isError) return;
    if (typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) void fetchRef.current();
      },
      { rootMargin: '600px 0px' },
    );
    io.observe(el);
    return () => io.disconnect();
  }, [hasNextPage, isFetchingNextPage, isError]);

  if (source.isPending) {
    return (
      <div className={className}>
        <p role="status" className="sr-only">
          Loading {label}
        </p>
        <div className={gridClass}>
          {Array.from({ length: skeletonCount }, (_, i) => (
            <CardSkeleton key={i} />
          ))}
        </div>
      </div>
    );
  }
  const items = source.items ?? [];
  if (source.isError && items.length === 0) {
    return (
      <div
        role="alert"
        className={cn('rounded-card border border-hairline bg-surface p-8 text-center', className)}
      >
        <p className="mb-4">{errorMessage(source.error)}</p>
        <Button onClick={() => void source.refetch()}>Try again</Button>
      </div>
    );
  }
  if (items.length === 0) return <div className={className}>{empty}</div>;
  return (
    <div className={className}>
      <ul aria-label={label} className={gridClass}>
        {items.map((item, i) => (
          <li key={getKey(item)}>{renderItem(item, i)}</li>
        ))}
        {isFetchingNextPage &&
          Array.from({ length: 5 }, (_, i) => (
            <li key={`s${i}`} aria-hidden="true">
              <CardSkeleton />
            </li>
          ))}
      </ul>
      <div ref={sentinel} aria-hidden="true" className="h-px" />
      {source.isError ? (
        <div role="alert" className="mt-6 flex flex-col items-center gap-2 text-sm">
          <p>{errorMessage(source.error)}</p>
          <Button variant="secondary" onClick={() => void fetchNextPage()}>
            Retry
          </Button>
        </div>
      ) : hasNextPage ? (
        <div className="mt-6 flex justify-center">
          <Button
            variant="secondary"
            onClick={() => void fetchNextPage()}
            loading={isFetchingNextPage}
          >
            Load more
          </Button>
        </div>
      ) : null}
      <p role="status" className="sr-only">
        {isFetchingNextPage ? 'Loading more' : `${items.length} ${label} shown`}
      </p>
    </div>
  );
}
