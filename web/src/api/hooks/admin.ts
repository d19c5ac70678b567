import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '../client';
import { paths } from '../paths';
import type { Connection, Page, Pool, User, Variable } from '../types';

const ADMIN_POLL_MS = 10_000;

export function useVariables(pattern: string, offset: number) {
  return useQuery({
    queryKey: ['variables', pattern, offset],
    queryFn: ({ signal }) => api.get<Page<'variables', Variable>>(paths.variables, { variable_key_pattern: pattern || undefined, limit: 50, offset, order_by: 'key' }, { signal }),
    placeholderData: keepPreviousData,
    refetchInterval: ADMIN_POLL_MS,
  });
}

export function useConnections(pattern: string, offset: number) {
  return useQuery({
    queryKey: ['connections', pattern, offset],
    queryFn: ({ signal }) =>
      api.get<Page<'connections', Connection>>(paths.connections, { connection_id_pattern: pattern || undefined, limit: 50, offset, order_by: 'connection_id' }, { signal }),
    placeholderData: keepPreviousData,
    refetchInterval: ADMIN_POLL_MS,
  });
}

export function usePools(pattern: string, offset: number) {
  return useQuery({
    queryKey: ['pools', pattern, offset],
    queryFn: ({ signal }) => api.get<Page<'pools', Pool>>(paths.pools, { pool_name_pattern: pattern || undefined, limit: 50, offset, order_by: 'name' }, { signal }),
    placeholderData: keepPreviousData,
    refetchInterval: ADMIN_POLL_MS,
  });
}

export function useUsers(pattern: string, offset: number) {
  return useQuery({
    queryKey: ['users', pattern, offset],
    queryFn: ({ signal }) => api.get<Page<'users', User>>(paths.users, { username_pattern: pattern || undefined, limit: 50, offset }, { signal }),
    placeholderData: keepPreviousData,
    refetchInterval: ADMIN_POLL_MS,
  });
}
