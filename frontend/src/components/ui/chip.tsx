import type { ButtonHTMLAttributes, ReactNode } from 'react';
import { cn } from '../../lib/cn';
import { CloseIcon } from './icons';

const chipBase =
  'inline-flex h-8 items-center gap-1.5 rounded-full border px-3 text-sm transition-colors duration-150';

/** A static label chip (brand, size, condition). */
export function Chip({ children, className }: { children: ReactNode; className?: string }) {
  return (
    <span className={cn(chipBase, 'border-hairline bg-surface text-ink', className)}>
      {children}
    </span>
  );
}

/** A toggle chip (`aria-pressed`). */
export function ToggleChip({
  pressed,
  children,
  className,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { pressed: boolean }) {
  return (
    <button
      type="button"
      aria-pressed={pressed}
      className={cn(
        chipBase,
        pressed
          ? 'border-accent bg-accent text-on-accent'
          : 'border-hairline bg-surface text-ink hover:border-ink/40',
        className,
      )}
      {...rest}
    >
      {children}
    </button>
  );
}

/** An active-filter chip that removes itself. */
export function RemovableChip({
  children,
  onRemove,
  removeLabel,
}: {
  children: ReactNode;
  onRemove: () => void;
  removeLabel: string;
}) {
  return (
    <span className={cn(chipBase, 'border-accent/40 bg-accent/10 pr-1 text-ink')}>
      {children}
      <button
        type="button"
        onClick={onRemove}
        aria-label={removeLabel}
        className="inline-flex size-6 items-center justify-center rounded-full hover:bg-accent/20"
      >
        <CloseIcon size={14} />
      </button>
    </span>
  );
}
