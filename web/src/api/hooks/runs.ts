import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '../client';
import { paths } from '../paths';
import { pollInterval } from '../polling';
import type { DagRun, GridResponse, Page, TaskInstance } from '../types';
import { isActiveState } from '../../lib/stateColors';

export function useGrid(dagId: string, limit: number) {
  return useQuery({
    queryKey: ['grid', dagId, limit],
    queryFn: ({ signal }) => api.get<GridResponse>(paths.grid(dagId), { limit }, { signal }),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => pollInterval(Boolean(query.state.data?.dag_runs.some((run) => isActiveState(run.state)))),
  });
}

export function useDagRun(dagId: string, runId: string | undefined) {
  return useQuery({
    queryKey: ['dagRun', dagId, runId],
    queryFn: ({ signal }) => api.get<DagRun>(paths.dagRun(dagId, runId!), undefined, { signal }),
    enabled: Boolean(runId),
    refetchInterval: (query) => pollInterval(isActiveState(query.state.data?.state)),
  });
}

/** Every task instance of a run: a run may have more than one page holds. */
export async function fetchRunTaskInstances(dagId: string, runId: string, signal?: AbortSignal): Promise<TaskInstance[]> {
  const all: TaskInstance[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await api.get<Page<'task_instances', TaskInstance>>(paths.taskInstances(dagId, runId), { limit: 100, offset }, { signal });
    all.push(...page.task_instances);
    if (page.task_instances.length < 100 || all.length >= page.total_entries) return all;
  }
}

export function useRunTaskInstances(dagId: string, runId: string | undefined, active: boolean) {
  return useQuery({
    queryKey: ['taskInstances', dagId, runId],
    queryFn: ({ signal }) => fetchRunTaskInstances(dagId, runId!, signal),
    enabled: Boolean(runId),
    refetchInterval: pollInterval(active),
  });
}

/** The latest runs, newest first, for run pickers. */
export function useRecentRuns(dagId: string, limit = 25) {
  return useQuery({
    queryKey: ['recentRuns', dagId, limit],
    queryFn: ({ signal }) => api.get<Page<'dag_runs', DagRun>>(paths.dagRuns(dagId), { limit, order_by: '-id' }, { signal }),
    refetchInterval: 5000,
  });
}
