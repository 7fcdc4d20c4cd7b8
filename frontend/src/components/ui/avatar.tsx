import { cn } from '../../lib/cn';

interface AvatarProps {
  /** An image URL (the `thumb` variant) or null for the initials fallback. */
  src?: string | null | undefined;
  name: string;
  size?: number;
  className?: string;
  /** Decorative when the name is already next to it. */
  decorative?: boolean;
}

const palette = ['#0F766E', '#7C3AED', '#B45309', '#BE185D', '#1D4ED8', '#15803D'];

export function Avatar({ src, name, size = 40, className, decorative = true }: AvatarProps) {
  const initials =
    name
      .replace(/[^a-zA-Z0-9]/g, '')
      .slice(0, 2)
      .toUpperCase() || '?';
  const bg = palette[[...name].reduce((a, c) => a + c.charCodeAt(0), 0) % palette.length];
  const style = { width: size, height: size };
  if (src) {
    return (
      <img
        src={src}
        alt={decorative ? '' : name}
        width={size}
        height={size}
        loading="lazy"
        className={cn('shrink-0 rounded-full bg-hairline object-cover', className)}
        style={style}
      />
    );
  }
  return (
    <span
      role={decorative ? undefined : 'img'}
      aria-label={decorative ? undefined : name}
      aria-hidden={decorative || undefined}
      data-initials={initials}
      className={cn(
        'inline-flex shrink-0 items-center justify-center rounded-full font-semibold text-white before:content-[attr(data-initials)]',
        className,
      )}
      style={{ ...style, background: bg, fontSize: Math.max(10, size * 0.38) }}
    />
  );
}
