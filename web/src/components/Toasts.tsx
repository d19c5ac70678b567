// Short messages in a corner: errors the server gave and confirmations.
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';

type ToastKind = 'error' | 'success';
interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
}

interface ToastApi {
  error: (text: string) => void;
  success: (text: string) => void;
}

const ToastContext = createContext<ToastApi | null>(null);
const ERROR_MS = 9000;
const SUCCESS_MS = 3500;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((toast) => toast.id !== id)), []);
  const push = useCallback(
    (kind: ToastKind, text: string) => {
      const id = nextId.current++;
      setToasts((list) => [...list.slice(-4), { id, kind, text }]);
      setTimeout(() => dismiss(id), kind === 'error' ? ERROR_MS : SUCCESS_MS);
    },
    [dismiss],
  );
  const value = useMemo(() => ({ error: (text: string) => push('error', text), success: (text: string) => push('success', text) }), [push]);

  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className="toasts" aria-live="polite">
        {toasts.map((toast) => (
          <div key={toast.id} className={`toast toast-${toast.kind}`} role={toast.kind === 'error' ? 'alert' : 'status'} data-testid={`toast-${toast.kind}`}>
            <span>{toast.text}</span>
            <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismiss(toast.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): ToastApi {
  const value = useContext(ToastContext);
  if (!value) throw new Error('useToast outside ToastProvider');
  return value;
}
