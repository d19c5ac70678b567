import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '../client';
import { paths } from '../paths';
import { pollInterval } from '../polling';
import type { DagDetails, DagSource, ImportError, Page, Task, UiDag } from '../types';
import { isActiveState } from '../../lib/stateColors';

export interface DagListFilters {
  search: string;
  tags: string[];
  paused: boolean | undefined;
  offset: number;
  limit: number;
}

export function useUiDags(filters: DagListFilters) {
  return useQuery({
    queryKey: ['uiDags', filters],
    queryFn: ({ signal }) =>
      api.get<Page<'dags', UiDag>>(
        paths.uiDags,
        {
          limit: filters.limit,
          offset: filters.offset,
          dag_id_pattern: filters.search || undefined,
          tags: filters.tags,
          paused: filters.paused,
          dag_runs_limit: 10,
        },
        { signal },
      ),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => pollInterval(Boolean(query.state.data?.dags.some((dag) => dag.latest_dag_runs.some((run) => isActiveState(run.state))))),
  });
}

export function useDagTags() {
  return useQuery({
    queryKey: ['dagTags'],
    queryFn: ({ signal }) => api.get<{ tags: string[]; total_entries: number }>(paths.dagTags, { limit: 100 }, { signal }),
    staleTime: 60_000,
  });
}

export function useImportErrors(enabled: boolean) {
  return useQuery({
    queryKey: ['importErrors'],
    queryFn: ({ signal }) => api.get<Page<'import_errors', ImportError>>(paths.importErrors, { limit: 100 }, { signal }),
    enabled,
    refetchInterval: 15_000,
  });
}

export function useDagDetails(dagId: string) {
  return useQuery({
    queryKey: ['dagDetails', dagId],
    queryFn: ({ signal }) => api.get<DagDetails>(paths.dagDetails(dagId), undefined, { signal }),
    refetchInterval: 10_000,
  });
}

export function useTasks(dagId: string) {
  return useQuery({
    queryKey: ['tasks', dagId],
    queryFn: ({ signal }) => api.get<Page<'tasks', Task>>(paths.tasks(dagId), undefined, { signal }),
    refetchInterval: 30_000,
  });
}

/** The DAG file of a version, the latest without one; `enabled` waits for the version to be known. */
export function useDagSource(dagId: string, versionNumber: number | undefined, enabled = true) {
  return useQuery({
    queryKey: ['dagSource', dagId, versionNumber ?? 'latest'],
    queryFn: ({ signal }) => api.get<DagSource>(paths.dagSource(dagId), { version_number: versionNumber }, { signal }),
    enabled,
    staleTime: versionNumber ? Infinity : 0,
  });
}
