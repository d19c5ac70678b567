// What the signed-in role may do, from the permissions the session lists.
import type { SessionResponse } from '../api/types';

export type Permission = `${string}:${'read' | 'create' | 'edit' | 'delete'}`;

export function hasPermission(session: Pick<SessionResponse, 'permissions'> | null | undefined, permission: Permission): boolean {
  return Boolean(session?.permissions.includes(permission));
}

/** The tooltip of an action the role may not take; empty when it may. */
export function missingPermissionTitle(
  session: Pick<SessionResponse, 'permissions' | 'role'> | null | undefined,
  permission: Permission,
): string {
  if (hasPermission(session, permission)) return '';
  const role = session?.role ?? 'current';
  return `Requires the ${permission} permission, which the ${role} role does not have`;
}

/** Admin pages and the permission that reveals each in the menu. */
export const ADMIN_PAGES: { path: string; label: string; permission: Permission }[] = [
  { path: '/variables', label: 'Variables', permission: 'VARIABLE:read' },
  { path: '/connections', label: 'Connections', permission: 'CONNECTION:read' },
  { path: '/pools', label: 'Pools', permission: 'POOL:read' },
  { path: '/users', label: 'Users', permission: 'USER:read' },
];

export function visibleAdminPages(session: Pick<SessionResponse, 'permissions'> | null | undefined) {
  return ADMIN_PAGES.filter((page) => hasPermission(session, page.permission));
}
