// A run beside the grid: its state and facts, its actions and its task
// instances.
import { Link } from 'react-router';
import { useDagRun, useRunTaskInstances } from '../../api/hooks/runs';
import { JsonBlock } from '../../components/JsonBlock';
import { Facts } from '../../components/Facts';
import { ErrorMessage, Loading } from '../../components/QueryState';
import { StateBadge } from '../../components/StateBadge';
import { Time } from '../../components/Time';
import { LiveDuration } from '../../components/LiveDuration';
import { useDagDetails } from '../../api/hooks/dags';
import { runParams } from '../../lib/runParams';
import { durationBetween, formatDuration } from '../../lib/format';
import { isActiveState } from '../../lib/stateColors';
import { RunActions } from '../actions/RunActions';
import { dagTabPath, taskInstancePath } from '../dag/dagLinks';

export function RunPanel({ dagId, runId }: { dagId: string; runId: string }) {
  const run = useDagRun(dagId, runId);
  const active = isActiveState(run.data?.state);
  const taskInstances = useRunTaskInstances(dagId, runId, active);

  const dag = useDagDetails(dagId);
  const params = runParams(dag.data?.params, run.data?.conf);

  if (run.error) return <ErrorMessage error={run.error} />;
  if (!run.data) return <Loading what="run" />;
  const data = run.data;
  const version = data.dag_versions[data.dag_versions.length - 1];

  return (
    <div className="panel" data-testid="run-panel">
      <div className="panel-header">
        <div>
          <div className="panel-kicker">Run</div>
          <h2 className="mono panel-title">{data.dag_run_id}</h2>
        </div>
        <StateBadge state={data.state} testId="run-state" />
      </div>
      <RunActions dagId={dagId} runId={runId} />
      <div className="panel-links">
        <Link to={dagTabPath(dagId, 'graph', runId)}>Graph</Link>
        <Link to={dagTabPath(dagId, 'gantt', runId)}>Gantt</Link>
        <Link to={dagTabPath(dagId, 'code', runId)}>Code</Link>
      </div>
      <Facts
        testId="run-details"
        items={[
          ['Run type', data.run_type],
          ['Triggered by', [data.triggered_by, data.triggering_user_name].filter(Boolean).join(' · ') || null],
          ['Logical date', <Time value={data.logical_date} />],
          ['Run after', <Time value={data.run_after} />],
          ['Data interval start', <Time value={data.data_interval_start} />],
          ['Data interval end', <Time value={data.data_interval_end} />],
          ['Queued at', <Time value={data.queued_at} />],
          ['Started', <Time value={data.start_date} />],
          ['Ended', <Time value={data.end_date} />],
          ['Duration', <LiveDuration start={data.start_date} end={data.end_date} seconds={data.duration} />],
          ['DAG version', version ? `v${version.version_number}` : null],
        ]}
      />
      {params.length > 0 && (
        <>
          <h3 className="section-title">Params</h3>
          <table className="table table-compact params-table" data-testid="run-params">
            <tbody>
              {params.map((param) => (
                <tr key={param.name}>
                  <td className="mono">{param.name}</td>
                  <td className="mono">{JSON.stringify(param.value)}</td>
                  <td className="muted small">{param.fromConf ? 'from conf' : 'default'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h3 className="section-title">Conf</h3>
      <JsonBlock value={data.conf ?? {}} testId="run-conf" />
      <h3 className="section-title">Task instances</h3>
      {taskInstances.error ? (
        <ErrorMessage error={taskInstances.error} />
      ) : !taskInstances.data ? (
        <Loading />
      ) : (
        <table className="table table-compact" data-testid="run-task-instances">
          <thead>
            <tr>
              <th>Task</th>
              <th>State</th>
              <th>Try</th>
              <th>Started</th>
              <th>Duration</th>
            </tr>
          </thead>
          <tbody>
            {taskInstances.data.map((ti) => (
              <tr key={`${ti.task_id}/${ti.map_index}`}>
                <td>
                  <Link to={taskInstancePath(dagId, runId, ti.task_id)} className="mono">
                    {ti.task_display_name || ti.task_id}
                  </Link>
                </td>
                <td>
                  <StateBadge state={ti.state} />
                </td>
                <td>{ti.try_number}</td>
                <td>
                  <Time value={ti.start_date} />
                </td>
                <td>{formatDuration(ti.duration ?? durationBetween(ti.start_date, ti.end_date))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
