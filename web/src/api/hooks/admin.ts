import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '../client';
import { paths } from '../paths';
import type { Connection, Page, Pool, User, Variable } from '../types';

const ADMIN_POLL_MS = 10_000;

/** One page of an admin list as the pages draw it. */
export interface AdminItems<T> {
  items: T[];
  total_entries: number;
}

/**
 * A page of 50 of one admin list, filtered by a LIKE pattern on its name:
 * the answer's list, whatever its key, comes back as `items`.
 */
function useAdminItems<K extends string, T>(key: K, path: string, patternParam: string, pattern: string, offset: number, orderBy?: string) {
  return useQuery({
    queryKey: [key, pattern, offset],
    queryFn: ({ signal }) =>
      api.get<Page<K, T>>(path, { [patternParam]: pattern || undefined, limit: 50, offset, order_by: orderBy }, { signal }),
    select: (page): AdminItems<T> => ({ items: page[key], total_entries: page.total_entries }),
    placeholderData: keepPreviousData,
    refetchInterval: ADMIN_POLL_MS,
  });
}

export const useVariables = (pattern: string, offset: number) =>
  useAdminItems<'variables', Variable>('variables', paths.variables, 'variable_key_pattern', pattern, offset, 'key');

export const useConnections = (pattern: string, offset: number) =>
  useAdminItems<'connections', Connection>('connections', paths.connections, 'connection_id_pattern', pattern, offset, 'connection_id');

export const usePools = (pattern: string, offset: number) =>
  useAdminItems<'pools', Pool>('pools', paths.pools, 'pool_name_pattern', pattern, offset, 'name');

export const useUsers = (pattern: string, offset: number) =>
  useAdminItems<'users', User>('users', paths.users, 'username_pattern', pattern, offset);
