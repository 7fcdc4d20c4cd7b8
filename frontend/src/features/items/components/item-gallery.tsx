import type { Image } from '@hanger/contracts';
import { useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { BlurhashImage } from '../../../components/ui/blurhash-image';
import { IconButton } from '../../../components/ui/button';
import { ChevronLeftIcon, ChevronRightIcon } from '../../../components/ui/icons';
import { cn } from '../../../lib/cn';

/**
 * The item's photos (`medium` variants): swipe on touch, arrow keys when focused, buttons and dots.
 * Each slide keeps its true aspect ratio inside a 3:4 frame, blurhash first.
 */
export function ItemGallery({ images, title }: { images: Image[]; title: string }) {
  const [index, setIndex] = useState(0);
  const start = useRef<number | null>(null);
  const count = images.length;
  const go = (i: number) => setIndex(Math.max(0, Math.min(count - 1, i)));

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'ArrowRight') {
      e.preventDefault();
      go(index + 1);
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      go(index - 1);
    }
  };
  const onPointerDown = (e: PointerEvent) => {
    start.current = e.clientX;
  };
  const onPointerUp = (e: PointerEvent) => {
    if (start.current === null) return;
    const dx = e.clientX - start.current;
    start.current = null;
    if (Math.abs(dx) > 40) go(index + (dx < 0 ? 1 : -1));
  };

  if (count === 0) {
    return (
      <div className="flex aspect-[3/4] items-center justify-center rounded-card bg-hairline text-muted">
        No photos
      </div>
    );
  }
  return (
    <section
      aria-roledescription="carousel"
      aria-label={`Photos of ${title}`}
      className="relative select-none"
    >
      <div
        tabIndex={0}
        role="group"
        aria-roledescription="slide"
        aria-label={`Photo ${index + 1} of ${count}`}
        onKeyDown={onKeyDown}
        onPointerDown={onPointerDown}
        onPointerUp={onPointerUp}
        className="relative aspect-[3/4] touch-pan-y overflow-hidden rounded-card bg-hairline md:rounded-card"
      >
        <div
          className="flex h-full transition-transform duration-200 ease-out"
          style={{ transform: `translateX(-${index * 100}%)` }}
        >
          {images.map((img, i) => {
            const v = img.variants.medium ?? img.variants.thumb;
            return (
              <div
                key={img.id}
                className="flex h-full w-full shrink-0 items-center justify-center"
                aria-hidden={i !== index}
              >
                {img.status === 'ready' || v ? (
                  <BlurhashImage
                    src={v?.url}
                    alt={`${title}, photo ${i + 1}`}
                    blurhash={img.blurhash}
                    dominantColor={img.dominantColor}
                    width={v?.width ?? img.width}
                    height={v?.height ?? img.height}
                    aspect={3 / 4}
                    priority={i === 0}
                    className="h-full w-full"
                    imgClassName="object-contain"
                  />
                ) : (
                  <div className="flex h-full w-full flex-col items-center justify-center gap-2 bg-hairline text-sm text-muted">
                    {img.status === 'failed'
                      ? (img.failureReason ?? 'This photo could not be processed')
                      : 'Processing photo…'}
                  </div>
                )}
              </div>
            );
          })}
        </div>
      </div>
      {count > 1 && (
        <>
          <IconButton
            label="Previous photo"
            onClick={() => go(index - 1)}
            disabled={index === 0}
            className="absolute top-1/2 left-2 -translate-y-1/2 bg-surface/90 shadow-sm"
          >
            <ChevronLeftIcon />
          </IconButton>
          <IconButton
            label="Next photo"
            onClick={() => go(index + 1)}
            disabled={index === count - 1}
            className="absolute top-1/2 right-2 -translate-y-1/2 bg-surface/90 shadow-sm"
          >
            <ChevronRightIcon />
          </IconButton>
          <div className="mt-3 flex justify-center gap-1">
            {images.map((img, i) => (
              <button
                key={img.id}
                type="button"
                aria-label={`Show photo ${i + 1}`}
                aria-current={i === index || undefined}
                onClick={() => go(i)}
                className="inline-flex size-6 items-center justify-center"
              >
                <span
                  className={cn(
                    'size-2 rounded-full transition-colors',
                    i === index ? 'bg-ink' : 'bg-hairline',
                  )}
                />
              </button>
            ))}
          </div>
        </>
      )}
    </section>
  );
}
