import type { TaskInstance } from '../../api/types';
import { StateBadge } from '../../components/StateBadge';

/** The task instances an action would change, one item each. */
export function PreviewList({ taskInstances, testId, showRun }: { taskInstances: TaskInstance[]; testId: string; showRun?: boolean }) {
  if (taskInstances.length === 0) {
    return (
      <div className="preview-empty" data-testid={testId}>
        No task instance would change.
      </div>
    );
  }
  return (
    <ul className="preview-list" data-testid={testId}>
      {taskInstances.map((ti) => (
        <li key={`${ti.dag_run_id}/${ti.task_id}/${ti.map_index}`} data-task-id={ti.task_id}>
          <span className="mono">{ti.task_id}</span>
          {showRun && <span className="muted small mono">{ti.dag_run_id}</span>}
          <StateBadge state={ti.state} />
        </li>
      ))}
    </ul>
  );
}
