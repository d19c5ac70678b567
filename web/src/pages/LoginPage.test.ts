import { describe, expect, test } from 'vitest';
import { loginPathFor } from '../auth/RequireSession';
import { safeNextPath } from './LoginPage';

describe('return to the wanted page after login', () => {
  test('the wanted URL is kept, query and all', () => {
    expect(loginPathFor({ pathname: '/dags/etl', search: '?tab=graph', hash: '' })).toBe('/login?next=%2Fdags%2Fetl%3Ftab%3Dgraph');
    expect(loginPathFor({ pathname: '/', search: '', hash: '' })).toBe('/login');
  });

  test('only paths of this app are followed', () => {
    expect(safeNextPath('/dags/etl?tab=graph')).toBe('/dags/etl?tab=graph');
    expect(safeNextPath('https://evil.example')).toBe('/dags');
    expect(safeNextPath('//evil.example')).toBe('/dags');
    expect(safeNextPath('/login?next=/x')).toBe('/dags');
    expect(safeNextPath(null)).toBe('/dags');
  });
});
