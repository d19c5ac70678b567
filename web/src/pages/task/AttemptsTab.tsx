import { useTries } from '../../api/hooks/taskInstances';
import { ErrorMessage, Loading } from '../../components/QueryState';
import { StateBadge } from '../../components/StateBadge';
import { Time } from '../../components/Time';
import { durationBetween, formatDuration } from '../../lib/format';

export function AttemptsTab({ dagId, runId, taskId, active }: { dagId: string; runId: string; taskId: string; active: boolean }) {
  const tries = useTries(dagId, runId, taskId, active);
  if (tries.error) return <ErrorMessage error={tries.error} />;
  if (!tries.data) return <Loading what="tries" />;
  return (
    <table className="table table-compact" data-testid="tries-table">
      <thead>
        <tr>
          <th>Try</th>
          <th>State</th>
          <th>Started</th>
          <th>Ended</th>
          <th>Duration</th>
          <th>Host</th>
          <th>Exit</th>
        </tr>
      </thead>
      <tbody>
        {tries.data.task_instances.map((item) => (
          <tr key={item.try_number} data-testid={`try-row-${item.try_number}`}>
            <td>{item.try_number}</td>
            <td>
              <StateBadge state={item.state} />
            </td>
            <td>
              <Time value={item.start_date} />
            </td>
            <td>
              <Time value={item.end_date} />
            </td>
            <td>{formatDuration(item.duration ?? durationBetween(item.start_date, item.end_date))}</td>
            <td className="muted">{item.hostname ?? '—'}</td>
            <td title={item.reason ?? undefined}>{item.exit_code ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
