import { describe, expect, test } from 'vitest';
import { hasPermission, missingPermissionTitle, visibleAdminPages } from './permissions';

const viewer = { role: 'Viewer' as const, permissions: ['DAG:read', 'DAG_RUN:read', 'TASK_INSTANCE:read'] };
const op = { role: 'Op' as const, permissions: ['DAG:read', 'TASK_INSTANCE:edit', 'VARIABLE:read', 'CONNECTION:read', 'POOL:read'] };

describe('permissions', () => {
  test('hasPermission reads the session list', () => {
    expect(hasPermission(viewer, 'DAG:read')).toBe(true);
    expect(hasPermission(viewer, 'TASK_INSTANCE:edit')).toBe(false);
    expect(hasPermission(null, 'DAG:read')).toBe(false);
  });

  test('the tooltip names the missing permission and the role', () => {
    expect(missingPermissionTitle(viewer, 'TASK_INSTANCE:edit')).toBe('Requires the TASK_INSTANCE:edit permission, which the Viewer role does not have');
    expect(missingPermissionTitle(op, 'TASK_INSTANCE:edit')).toBe('');
  });

  test('admin menu entries follow the read permissions', () => {
    expect(visibleAdminPages(viewer)).toEqual([]);
    expect(visibleAdminPages(op).map((page) => page.label)).toEqual(['Variables', 'Connections', 'Pools']);
    expect(visibleAdminPages({ permissions: [...op.permissions, 'USER:read'] }).map((page) => page.path)).toContain('/users');
  });
});
