// A DAG's latest runs as small bars, oldest at the left, each as tall as the
// run was long, colored by state; each opens its run.
import { Link } from 'react-router';
import type { DagRunSummary } from '../../api/types';
import { formatDateTimeWithZone, formatDuration } from '../../lib/format';
import { runDuration, runBarHeight } from '../../lib/gridModel';
import { normalizeState, stateColor, stateLabel } from '../../lib/stateColors';
import { useTimeZone } from '../../lib/timeZone';
import { runPath } from '../dag/dagLinks';

const MAX_BAR = 26;

export function RecentRuns({ dagId, runs }: { dagId: string; runs: DagRunSummary[] }) {
  const timeZone = useTimeZone();
  if (runs.length === 0) return <span className="muted">No runs yet</span>;
  const ordered = [...runs].reverse();
  const now = new Date();
  const longest = ordered.reduce((max, run) => Math.max(max, runDuration(run, now)), 0);
  return (
    <div className="recent-runs">
      {ordered.map((run) => {
        const duration = runDuration(run, now);
        return (
          <Link
            key={run.dag_run_id}
            to={runPath(dagId, run.dag_run_id)}
            className="recent-run"
            data-state={normalizeState(run.state)}
            title={`${run.dag_run_id}\n${stateLabel(run.state)} · ${formatDuration(duration)}\n${formatDateTimeWithZone(run.logical_date ?? run.run_after, timeZone)}`}
            style={{ height: runBarHeight(duration, longest, MAX_BAR, 5), background: stateColor(run.state) }}
          />
        );
      })}
    </div>
  );
}
