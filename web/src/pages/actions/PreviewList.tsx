import type { UseQueryResult } from '@tanstack/react-query';
import type { TaskInstance } from '../../api/types';
import { ErrorMessage, Loading } from '../../components/QueryState';
import { StateBadge } from '../../components/StateBadge';

/** The task instances an action would change, one item each, once the dry run answered. */
export function PreviewList({ preview, testId }: { preview: UseQueryResult<TaskInstance[]>; testId: string }) {
  if (preview.error) return <ErrorMessage error={preview.error} />;
  if (!preview.data) return <Loading />;
  if (preview.data.length === 0) {
    return (
      <div className="preview-empty" data-testid={testId}>
        No task instance would change.
      </div>
    );
  }
  return (
    <ul className="preview-list" data-testid={testId}>
      {preview.data.map((ti) => (
        <li key={`${ti.dag_run_id}/${ti.task_id}/${ti.map_index}`} data-task-id={ti.task_id}>
          <span className="mono">{ti.task_id}</span>
          <StateBadge state={ti.state} />
        </li>
      ))}
    </ul>
  );
}
