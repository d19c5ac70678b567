// Clear, mark success and mark failed for one task instance.
import { useState } from 'react';
import { api } from '../../api/client';
import { useTasks } from '../../api/hooks/dags';
import { paths } from '../../api/paths';
import type { Page, TaskInstance } from '../../api/types';
import { upstreamOf } from '../../lib/taskRelatives';
import { ActionButton } from './ActionButton';
import { ClearDialog, type ClearOptions } from './ClearDialog';
import { MarkDialog, type MarkOptions } from './MarkDialog';

type OpenDialog = null | 'clear' | 'success' | 'failed';

export function TaskInstanceActions({ dagId, runId, taskId }: { dagId: string; runId: string; taskId: string }) {
  const [open, setOpen] = useState<OpenDialog>(null);
  const tasks = useTasks(dagId);

  // The clear body has no include_upstream: upstream tasks are named in
  // task_ids instead, which clears the same task instances.
  const clearBody = (options: ClearOptions, dryRun: boolean) => {
    const taskIds = [taskId, ...(options.upstream ? upstreamOf(tasks.data?.tasks ?? [], taskId) : [])];
    return {
      dag_run_id: runId,
      task_ids: taskIds,
      include_downstream: options.downstream,
      only_failed: options.onlyFailed,
      dry_run: dryRun,
    };
  };
  const markBody = (state: string, options: MarkOptions) => ({ new_state: state, include_upstream: options.upstream, include_downstream: options.downstream });

  return (
    <div className="actions">
      <ActionButton permission="TASK_INSTANCE:edit" testId="action-clear" onClick={() => setOpen('clear')}>
        Clear
      </ActionButton>
      <ActionButton permission="TASK_INSTANCE:edit" testId="action-mark-success" onClick={() => setOpen('success')}>
        Mark success
      </ActionButton>
      <ActionButton permission="TASK_INSTANCE:edit" testId="action-mark-failed" variant="danger" onClick={() => setOpen('failed')}>
        Mark failed
      </ActionButton>
      {open === 'clear' && (
        <ClearDialog
          title={`Clear ${taskId}`}
          previewKey={[dagId, runId, taskId, tasks.data ? 'tasks' : 'no-tasks']}
          offers={{ downstream: true, upstream: true }}
          preview={async (options) => (await api.post<Page<'task_instances', TaskInstance>>(paths.clearTaskInstances(dagId), clearBody(options, true))).task_instances}
          confirm={(options) => api.post(paths.clearTaskInstances(dagId), clearBody(options, false))}
          onClose={() => setOpen(null)}
        />
      )}
      {(open === 'success' || open === 'failed') && (
        <MarkDialog
          title={`Mark ${taskId} ${open}`}
          newState={open}
          previewKey={[dagId, runId, taskId]}
          offersRelatives
          preview={async (options) => (await api.patch<Page<'task_instances', TaskInstance>>(paths.taskInstanceDryRun(dagId, runId, taskId), markBody(open, options))).task_instances}
          confirm={(options) => api.patch(paths.taskInstance(dagId, runId, taskId), markBody(open, options))}
          onClose={() => setOpen(null)}
        />
      )}
    </div>
  );
}
