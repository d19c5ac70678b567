import { useQuery } from '@tanstack/react-query';
import { api } from '../client';
import { paths } from '../paths';
import { pollInterval } from '../polling';
import type { Page, TaskInstance, TaskInstanceTry, XComEntry, XComEntryWithValue } from '../types';
import { isUnfinishedState } from '../../lib/stateColors';

export function useTaskInstance(dagId: string, runId: string, taskId: string) {
  return useQuery({
    queryKey: ['taskInstance', dagId, runId, taskId],
    queryFn: ({ signal }) => api.get<TaskInstance>(paths.taskInstance(dagId, runId, taskId), undefined, { signal }),
    refetchInterval: (query) => pollInterval(isUnfinishedState(query.state.data?.state)),
  });
}

export function useTries(dagId: string, runId: string, taskId: string, active: boolean) {
  return useQuery({
    queryKey: ['tries', dagId, runId, taskId],
    queryFn: ({ signal }) => api.get<Page<'task_instances', TaskInstanceTry>>(paths.tries(dagId, runId, taskId), undefined, { signal }),
    refetchInterval: pollInterval(active),
  });
}

export function useXComEntries(dagId: string, runId: string, taskId: string, active: boolean) {
  return useQuery({
    queryKey: ['xcom', dagId, runId, taskId],
    queryFn: async ({ signal }) => {
      const page = await api.get<Page<'xcom_entries', XComEntry>>(paths.xcomEntries(dagId, runId, taskId), { limit: 100 }, { signal });
      // The list leaves values out; each entry is read for its JSON value.
      return Promise.all(
        page.xcom_entries.map((entry) =>
          api.get<XComEntryWithValue>(paths.xcomEntry(dagId, runId, taskId, entry.key), { deserialize: true, map_index: entry.map_index }, { signal }),
        ),
      );
    },
    refetchInterval: pollInterval(active),
  });
}
