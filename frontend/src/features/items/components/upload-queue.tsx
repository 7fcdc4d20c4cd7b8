import { useId, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { IconButton } from '../../../components/ui/button';
import {
  CameraIcon,
  ChevronLeftIcon,
  ChevronRightIcon,
  CloseIcon,
  GripIcon,
  RetryIcon,
} from '../../../components/ui/icons';
import { cn } from '../../../lib/cn';
import { ACCEPTED_IMAGE_TYPES } from '../../../lib/upload';
import { MAX_PHOTOS, type UploadTile, type UseUploadQueue } from '../hooks/use-upload-queue';

/** A ring that fills with the upload's progress; a real progressbar for assistive tech. */
function ProgressRing({ value, label }: { value: number; label: string }) {
  const r = 16;
  const c = 2 * Math.PI * r;
  const pct = Math.round(value * 100);
  return (
    <span
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      className="relative inline-flex size-11 items-center justify-center"
    >
      <svg viewBox="0 0 40 40" className="absolute inset-0 -rotate-90" aria-hidden="true">
        <circle
          cx="20"
          cy="20"
          r={r}
          fill="none"
          stroke="rgb(255 255 255 / 0.35)"
          strokeWidth="4"
        />
        <circle
          cx="20"
          cy="20"
          r={r}
          fill="none"
          stroke="white"
          strokeWidth="4"
          strokeDasharray={c}
          strokeDashoffset={c * (1 - value)}
          strokeLinecap="round"
          className="transition-[stroke-dashoffset] duration-150"
        />
      </svg>
      <span className="tabular text-[11px] font-semibold text-white">{pct}%</span>
    </span>
  );
}

function statusText(t: UploadTile): string {
  switch (t.status) {
    case 'queued':
      return 'Waiting';
    case 'uploading':
      return `Uploading ${Math.round(t.progress * 100)}%`;
    case 'processing':
      return 'Processing';
    case 'ready':
      return 'Ready';
    case 'failed':
      return t.error ?? 'Failed';
  }
}

/**
 * The photo picker and queue: pick or drop files, see each upload's progress, reorder by drag or by
 * keyboard (focus a photo's handle and use the arrow keys), remove, retry. The first photo is the cover.
 */
export function UploadQueue({
  queue,
  error,
}: {
  queue: UseUploadQueue;
  error?: string | undefined;
}) {
  const { tiles, add, remove, retry, move } = queue;
  const inputId = useId();
  const [refused, setRefused] = useState<string[]>([]);
  const [announcement, setAnnouncement] = useState('');
  const [dragKey, setDragKey] = useState<string | null>(null);
  const [dropActive, setDropActive] = useState(false);
  const handles = useRef(new Map<string, HTMLButtonElement | null>());

  const addFiles = (files: FileList | File[] | null) => {
    if (!files) return;
    setRefused(add([...files]));
  };

  const moveBy = (tile: UploadTile, index: number, to: number) => {
    if (to < 0 || to >= tiles.length) return;
    move(tile.key, to);
    setAnnouncement(`Photo ${index + 1} moved to position ${to + 1} of ${tiles.length}`);
    requestAnimationFrame(() => handles.current.get(tile.key)?.focus());
  };

  const onHandleKey = (e: KeyboardEvent, tile: UploadTile, index: number) => {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') {
      e.preventDefault();
      moveBy(tile, index, index - 1);
    } else if (e.key === 'ArrowRight' || e.key === 'ArrowDown') {
      e.preventDefault();
      moveBy(tile, index, index + 1);
    } else if (e.key === 'Home') {
      e.preventDefault();
      moveBy(tile, index, 0);
    } else if (e.key === 'End') {
      e.preventDefault();
      moveBy(tile, index, tiles.length - 1);
    }
  };

  const onDropZone = (e: DragEvent) => {
    e.preventDefault();
    setDropActive(false);
    if (dragKey) return;
    addFiles(e.dataTransfer.files);
  };

  const errorId = `${inputId}-error`;
  return (
    <fieldset aria-describedby={error ? errorId : undefined}>
      <legend className="text-sm font-medium">
        Photos{' '}
        <span className="font-normal text-muted">
          ({tiles.length}/{MAX_PHOTOS}, the first is the cover)
        </span>
      </legend>
      <p className="sr-only" aria-live="polite">
        {announcement}
      </p>
      <ol aria-label="Photos" className="mt-2 grid grid-cols-3 gap-2 sm:grid-cols-4 md:grid-cols-5">
        {tiles.map((t, i) => (
          <li
            key={t.key}
            data-testid="upload-tile"
            draggable
            onDragStart={(e) => {
              setDragKey(t.key);
              e.dataTransfer.effectAllowed = 'move';
            }}
            onDragOver={(e) => {
              if (!dragKey) return;
              e.preventDefault();
              if (dragKey !== t.key) move(dragKey, i);
            }}
            onDragEnd={() => setDragKey(null)}
            className={cn(
              'group relative aspect-[3/4] overflow-hidden rounded-card border border-hairline bg-hairline',
              dragKey === t.key && 'opacity-50',
            )}
          >
            {t.previewUrl && (
              <img
                src={t.previewUrl}
                alt={`Photo ${i + 1}: ${t.name}`}
                className="size-full object-cover"
              />
            )}
            {(t.status === 'uploading' || t.status === 'queued') && (
              <span className="absolute inset-0 flex items-center justify-center bg-black/40">
                <ProgressRing value={t.progress} label={`Uploading photo ${i + 1}`} />
              </span>
            )}
            {t.status === 'failed' && (
              <span className="absolute inset-0 bg-coral/30" aria-hidden="true" />
            )}
            <span
              className={cn(
                'absolute inset-x-1 bottom-1 truncate rounded-md px-1.5 py-0.5 text-[11px] font-medium',
                t.status === 'failed' ? 'bg-coral text-white' : 'bg-black/60 text-white',
              )}
            >
              {i === 0 && t.status !== 'failed' ? 'Cover · ' : ''}
              {statusText(t)}
            </span>
            <div className="absolute inset-x-1 top-1 flex justify-between">
              <button
                ref={(el) => {
                  handles.current.set(t.key, el);
                }}
                type="button"
                aria-label={`Reorder photo ${i + 1} of ${tiles.length}; use the arrow keys`}
                aria-roledescription="sortable"
                onKeyDown={(e) => onHandleKey(e, t, i)}
                className="inline-flex size-8 cursor-grab items-center justify-center rounded-full bg-black/55 text-white"
              >
                <GripIcon size={16} />
              </button>
              <span className="flex gap-1">
                {t.status === 'failed' && t.file && (
                  <IconButton
                    label={`Retry photo ${i + 1}`}
                    onClick={() => retry(t.key)}
                    className="size-8 bg-black/55 text-white hover:bg-black/70"
                  >
                    <RetryIcon size={16} />
                  </IconButton>
                )}
                <IconButton
                  label={`Remove photo ${i + 1}`}
                  onClick={() => remove(t.key)}
                  className="size-8 bg-black/55 text-white hover:bg-black/70"
                >
                  <CloseIcon size={16} />
                </IconButton>
              </span>
            </div>
            <div className="absolute inset-x-1 bottom-7 hidden justify-between group-focus-within:flex group-hover:flex">
              <IconButton
                label={`Move photo ${i + 1} earlier`}
                disabled={i === 0}
                onClick={() => moveBy(t, i, i - 1)}
                className="size-7 bg-black/55 text-white"
              >
                <ChevronLeftIcon size={14} />
              </IconButton>
              <IconButton
                label={`Move photo ${i + 1} later`}
                disabled={i === tiles.length - 1}
                onClick={() => moveBy(t, i, i + 1)}
                className="size-7 bg-black/55 text-white"
              >
                <ChevronRightIcon size={14} />
              </IconButton>
            </div>
          </li>
        ))}
        {tiles.length < MAX_PHOTOS && (
          <li
            onDragOver={(e) => {
              e.preventDefault();
              if (!dragKey) setDropActive(true);
            }}
            onDragLeave={() => setDropActive(false)}
            onDrop={onDropZone}
            className={cn(
              'relative aspect-[3/4] rounded-card border-2 border-dashed transition-colors',
              dropActive ? 'border-accent bg-accent/10' : 'border-hairline bg-surface',
            )}
          >
            <label
              htmlFor={inputId}
              className="flex size-full cursor-pointer flex-col items-center justify-center gap-1 p-2 text-center text-sm text-muted focus-within:text-ink"
            >
              <CameraIcon size={24} />
              <span className="font-medium text-ink">Add photos</span>
              <span className="text-xs">or drop them here</span>
            </label>
            <input
              id={inputId}
              type="file"
              multiple
              accept={ACCEPTED_IMAGE_TYPES.join(',')}
              className="absolute inset-0 cursor-pointer opacity-0"
              aria-label="Add photos"
              onChange={(e) => {
                addFiles(e.target.files);
                e.target.value = '';
              }}
            />
          </li>
        )}
      </ol>
      {error && (
        <p id={errorId} role="alert" className="mt-2 text-sm text-coral-text">
          {error}
        </p>
      )}
      {refused.length > 0 && (
        <ul role="alert" className="mt-2 text-sm text-coral-text">
          {refused.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}
