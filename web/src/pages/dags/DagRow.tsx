import { memo } from 'react';
import { Link } from 'react-router';
import type { UiDag } from '../../api/types';
import { PauseToggle } from '../../components/PauseToggle';
import { StateBadge } from '../../components/StateBadge';
import { Time } from '../../components/Time';
import { scheduleInWords } from '../../lib/schedule';
import { dagPath, runPath } from '../dag/dagLinks';
import { TriggerLauncher } from '../dag/trigger/TriggerLauncher';
import { RecentRuns } from './RecentRuns';

/** One DAG in the list; memoized so a poll that changed one DAG re-renders one row. */
export const DagRow = memo(function DagRow({ dag, onTagClick, canTrigger }: { dag: UiDag; onTagClick: (tag: string) => void; canTrigger: boolean }) {
  const latest = dag.latest_dag_runs[0];
  return (
    <tr data-testid={`dag-row-${dag.dag_id}`} className={dag.is_paused ? 'row-paused' : undefined}>
      <td className="col-toggle">
        <PauseToggle dagId={dag.dag_id} isPaused={dag.is_paused} testId={`pause-toggle-${dag.dag_id}`} />
      </td>
      <td>
        <Link to={dagPath(dag.dag_id)} className="dag-link">
          {dag.dag_display_name || dag.dag_id}
        </Link>
        {dag.tags.length > 0 && (
          <div className="tags">
            {dag.tags.map((tag) => (
              <button type="button" key={tag.name} className="tag" onClick={() => onTagClick(tag.name)} title={`Show DAGs tagged ${tag.name}`}>
                {tag.name}
              </button>
            ))}
          </div>
        )}
      </td>
      <td className="muted">{dag.owners.join(', ') || '—'}</td>
      <td>
        <span title={dag.timetable_summary ?? undefined}>{scheduleInWords(dag.timetable_description, dag.timetable_summary)}</span>
      </td>
      <td>
        {latest ? (
          <Link to={runPath(dag.dag_id, latest.dag_run_id)} className="latest-run">
            <StateBadge state={latest.state} />
            <span className="muted small">
              <Time value={latest.run_after} relative />
            </span>
          </Link>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td>{dag.next_dagrun_run_after ? <Time value={dag.next_dagrun_run_after} /> : <span className="muted">—</span>}</td>
      <td>
        <RecentRuns dagId={dag.dag_id} runs={dag.latest_dag_runs} />
      </td>
      <td className="col-actions">{canTrigger && <TriggerLauncher dagId={dag.dag_id} />}</td>
    </tr>
  );
});
