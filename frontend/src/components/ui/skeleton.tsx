import { cn } from '../../lib/cn';

/** A shape-of-what-is-coming placeholder. Hidden from assistive tech; pair with a status text. */
export function Skeleton({ className }: { className?: string }) {
  return (
    <div
      aria-hidden="true"
      className={cn('animate-pulse rounded-card bg-hairline/70', className)}
    />
  );
}

export function TextSkeleton({ lines = 3, className }: { lines?: number; className?: string }) {
  return (
    <div aria-hidden="true" className={cn('flex flex-col gap-2', className)}>
      {Array.from({ length: lines }, (_, i) => (
        <Skeleton key={i} className={cn('h-4 rounded-md', i === lines - 1 ? 'w-2/3' : 'w-full')} />
      ))}
    </div>
  );
}
