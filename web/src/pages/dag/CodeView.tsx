// The DAG file as the selected run's version parsed it, with line numbers.
import { useDagSource } from '../../api/hooks/dags';
import { ErrorMessage, Loading } from '../../components/QueryState';
import { RunPicker, useSelectedRun } from './RunPicker';

export default function CodeView({ dagId, runId }: { dagId: string; runId?: string }) {
  const { run, runs, loading } = useSelectedRun(dagId, runId);
  const versions = run?.dag_versions ?? [];
  const versionNumber = versions.length ? versions[0].version_number : undefined;
  // Until the run is known, its version is not: the latest file is not read meanwhile.
  const source = useDagSource(dagId, versionNumber, !loading);
  const lines = (source.data?.content ?? '').split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();

  return (
    <div className="view-with-toolbar">
      <div className="view-toolbar">
        <RunPicker runs={runs} selected={run?.dag_run_id} />
        <span className="pill" data-testid="code-version">
          {source.data?.version_number ? `Version ${source.data.version_number}` : 'Latest version'}
        </span>
      </div>
      {source.error ? (
        <ErrorMessage error={source.error} />
      ) : !source.data ? (
        <Loading what="source" />
      ) : (
        <div className="code-view" data-testid="code-view">
          <table>
            <tbody>
              {lines.map((line, index) => (
                <tr key={index}>
                  <td className="code-number">{index + 1}</td>
                  <td className="code-line">{line || '\u00a0'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
