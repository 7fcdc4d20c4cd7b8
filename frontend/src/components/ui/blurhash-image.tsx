import { decode } from 'blurhash';
import { useMemo, useState } from 'react';
import { cn } from '../../lib/cn';

interface BlurhashImageProps {
  src: string | null | undefined;
  alt: string;
  blurhash?: string | null | undefined;
  dominantColor?: string | null | undefined;
  /** The image's true size; reserves the box so nothing moves when it loads. */
  width?: number | null | undefined;
  height?: number | null | undefined;
  /** A fixed crop box (e.g. 3/4 on cards) instead of the true aspect ratio. */
  aspect?: number;
  className?: string;
  imgClassName?: string;
  sizes?: string;
  priority?: boolean;
}

const cache = new Map<string, string>();

/** Paints a blurhash into a tiny canvas and returns it as a data URL (memoised). */
function blurhashUrl(hash: string): string | null {
  const hit = cache.get(hash);
  if (hit) return hit;
  try {
    const w = 32;
    const h = 32;
    const pixels = decode(hash, w, h);
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d');
    if (!ctx) return null;
    const data = ctx.createImageData(w, h);
    data.data.set(pixels);
    ctx.putImageData(data, 0, 0);
    const url = canvas.toDataURL();
    cache.set(hash, url);
    return url;
  } catch {
    return null;
  }
}

/**
 * An image that never shifts layout: the box has its aspect ratio from the start, the blurhash
 * (or the dominant colour) is painted first, then the real image fades in over it.
 */
export function BlurhashImage({
  src,
  alt,
  blurhash,
  dominantColor,
  width,
  height,
  aspect,
  className,
  imgClassName,
  sizes,
  priority,
}: BlurhashImageProps) {
  // Which src has finished loading (a new src starts faded out again).
  const [loadedSrc, setLoadedSrc] = useState<string | null>(null);
  const loaded = Boolean(src) && loadedSrc === src;
  const placeholder = useMemo(() => (blurhash ? blurhashUrl(blurhash) : null), [blurhash]);
  const ratio = aspect ?? (width && height ? width / height : 3 / 4);
  return (
    <div
      className={cn('relative overflow-hidden bg-hairline', className)}
      style={{
        aspectRatio: String(ratio),
        backgroundColor: dominantColor ?? undefined,
        backgroundImage: placeholder ? `url(${placeholder})` : undefined,
        backgroundSize: 'cover',
        backgroundPosition: 'center',
      }}
    >
      {src && (
        <img
          ref={(el) => {
            // Already in the cache: no load event will come.
            if (el?.complete && el.naturalWidth > 0 && src) setLoadedSrc(src);
          }}
          src={src}
          alt={alt}
          width={width ?? undefined}
          height={height ?? undefined}
          sizes={sizes}
          loading={priority ? 'eager' : 'lazy'}
          decoding="async"
          onLoad={() => setLoadedSrc(src)}
          className={cn(
            'absolute inset-0 size-full object-cover transition-opacity duration-200 ease-out',
            loaded ? 'opacity-100' : 'opacity-0',
            imgClassName,
          )}
        />
      )}
    </div>
  );
}
