import {
  createContext,
  useCallback,
  useContext,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { cn } from '../../lib/cn';

type Tone = 'info' | 'success' | 'error';
interface Toast {
  id: number;
  message: string;
  tone: Tone;
  action?: { label: string; onClick: () => void } | undefined;
}
interface ToastApi {
  show: (message: string, opts?: { tone?: Tone; action?: Toast['action'] }) => void;
}

const ToastContext = createContext<ToastApi>({ show: () => undefined });

/** Toasts for background outcomes ("Listing published"), announced politely. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  const show = useCallback<ToastApi['show']>(
    (message, opts) => {
      const id = next.current++;
      setToasts((t) => [
        ...t.slice(-2),
        { id, message, tone: opts?.tone ?? 'info', action: opts?.action },
      ]);
      setTimeout(() => dismiss(id), opts?.action ? 8000 : 4500);
    },
    [dismiss],
  );
  const value = useMemo(() => ({ show }), [show]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div
        aria-live="polite"
        role="status"
        className="pointer-events-none fixed inset-x-0 bottom-20 z-[60] flex flex-col items-center gap-2 px-4 md:bottom-6"
      >
        {toasts.map((t) => (
          <div
            key={t.id}
            className={cn(
              'pointer-events-auto flex max-w-md items-center gap-3 rounded-card px-4 py-3 text-sm shadow-sheet animate-[sheet_180ms_ease-out]',
              t.tone === 'error' ? 'bg-coral text-white' : 'bg-ink text-surface',
            )}
          >
            <span>{t.message}</span>
            {t.action && (
              <button
                type="button"
                className="font-semibold underline"
                onClick={() => {
                  t.action?.onClick();
                  dismiss(t.id);
                }}
              >
                {t.action.label}
              </button>
            )}
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): ToastApi {
  return useContext(ToastContext);
}
