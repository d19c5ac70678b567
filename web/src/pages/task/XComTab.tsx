import { useXComEntries } from '../../api/hooks/taskInstances';
import { JsonBlock } from '../../components/JsonBlock';
import { ErrorMessage, Loading } from '../../components/QueryState';
import { Time } from '../../components/Time';

export function XComTab({ dagId, runId, taskId, active }: { dagId: string; runId: string; taskId: string; active: boolean }) {
  const entries = useXComEntries(dagId, runId, taskId, active);
  if (entries.error) return <ErrorMessage error={entries.error} />;
  if (!entries.data) return <Loading what="XCom" />;
  return (
    <table className="table table-compact" data-testid="xcom-table">
      <thead>
        <tr>
          <th>Key</th>
          <th>Value</th>
          <th>Written</th>
        </tr>
      </thead>
      <tbody>
        {entries.data.length === 0 ? (
          <tr>
            <td colSpan={3} className="muted">
              No XCom entries.
            </td>
          </tr>
        ) : (
          entries.data.map((entry) => (
            <tr key={`${entry.key}/${entry.map_index}`} data-testid={`xcom-row-${entry.key}`}>
              <td className="mono">{entry.key}</td>
              <td>
                <JsonBlock value={entry.value} />
              </td>
              <td className="nowrap">
                <Time value={entry.timestamp} />
              </td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
