// What a view shows while its data loads or when loading failed.
import type { ReactNode } from 'react';

export function Loading({ what }: { what?: string }) {
  return <div className="loading">Loading{what ? ` ${what}` : ''}…</div>;
}

export function ErrorMessage({ error }: { error: unknown }) {
  const text = error instanceof Error ? error.message : String(error);
  return (
    <div className="error-box" role="alert">
      {text}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}
