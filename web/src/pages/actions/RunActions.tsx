// Clear a whole run, or mark it success or failed.
import { useState } from 'react';
import { api } from '../../api/client';
import { fetchRunTaskInstances } from '../../api/hooks/runs';
import { paths } from '../../api/paths';
import type { Page, TaskInstance } from '../../api/types';
import { isUnfinishedState } from '../../lib/stateColors';
import { ActionButton } from './ActionButton';
import { ClearDialog } from './ClearDialog';
import { MarkDialog } from './MarkDialog';

type OpenDialog = null | 'clear' | 'success' | 'failed';

async function unfinishedTaskInstances(dagId: string, runId: string): Promise<TaskInstance[]> {
  // Marking a run sets its unfinished task instances; the finished keep theirs.
  return (await fetchRunTaskInstances(dagId, runId)).filter((ti) => isUnfinishedState(ti.state));
}

export function RunActions({ dagId, runId }: { dagId: string; runId: string }) {
  const [open, setOpen] = useState<OpenDialog>(null);
  return (
    <div className="actions">
      <ActionButton permission="DAG_RUN:edit" testId="action-clear-run" onClick={() => setOpen('clear')}>
        Clear run
      </ActionButton>
      <ActionButton permission="DAG_RUN:edit" testId="action-mark-run-success" onClick={() => setOpen('success')}>
        Mark success
      </ActionButton>
      <ActionButton permission="DAG_RUN:edit" testId="action-mark-run-failed" variant="danger" onClick={() => setOpen('failed')}>
        Mark failed
      </ActionButton>
      {open === 'clear' && (
        <ClearDialog
          title={`Clear run ${runId}`}
          previewKey={[dagId, runId]}
          offers={{}}
          preview={async (options) => (await api.post<Page<'task_instances', TaskInstance>>(paths.clearRun(dagId, runId), { dry_run: true, only_failed: options.onlyFailed })).task_instances}
          confirm={(options) => api.post(paths.clearRun(dagId, runId), { dry_run: false, only_failed: options.onlyFailed })}
          onClose={() => setOpen(null)}
        />
      )}
      {(open === 'success' || open === 'failed') && (
        <MarkDialog
          title={`Mark run ${runId} ${open}`}
          newState={open}
          previewKey={[dagId, runId]}
          offersRelatives={false}
          preview={() => unfinishedTaskInstances(dagId, runId)}
          confirm={() => api.patch(paths.dagRun(dagId, runId), { state: open })}
          onClose={() => setOpen(null)}
        />
      )}
    </div>
  );
}
