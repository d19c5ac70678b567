import type { ReactNode } from 'react';
import { useSession } from '../../auth/SessionContext';
import { hasPermission, missingPermissionTitle, type Permission } from '../../lib/permissions';

/** A button shown to everyone, usable only with the permission it names. */
export function ActionButton({ permission, testId, onClick, children, variant }: { permission: Permission; testId: string; onClick: () => void; children: ReactNode; variant?: 'danger' }) {
  const { session } = useSession();
  const allowed = hasPermission(session, permission);
  return (
    <button type="button" className={`button button-small${variant === 'danger' ? ' button-danger-outline' : ''}`} data-testid={testId} disabled={!allowed} title={allowed ? undefined : missingPermissionTitle(session, permission)} onClick={onClick}>
      {children}
    </button>
  );
}
