import { useState } from 'react';
import { Link } from 'react-router';
import type { DagDetails } from '../../api/types';
import { useSession } from '../../auth/SessionContext';
import { PlayIcon } from '../../components/Icons';
import { PauseToggle } from '../../components/PauseToggle';
import { Time } from '../../components/Time';
import { hasPermission } from '../../lib/permissions';
import { scheduleInWords } from '../../lib/schedule';
import { DAG_TABS, dagPath, dagTabPath, type DagTab } from './dagLinks';
import { TriggerDialog } from './trigger/TriggerDialog';

interface DagHeaderProps {
  dag: DagDetails;
  activeTab: DagTab;
  runId?: string;
}

export function DagHeader({ dag, activeTab, runId }: DagHeaderProps) {
  const { session } = useSession();
  const [triggering, setTriggering] = useState(false);
  return (
    <div className="dag-header">
      <div className="dag-header-top">
        <div className="dag-title">
          <PauseToggle dagId={dag.dag_id} isPaused={dag.is_paused} testId="pause-toggle" />
          <h1>
            <Link to={dagPath(dag.dag_id)}>{dag.dag_display_name || dag.dag_id}</Link>
          </h1>
          {dag.is_paused && <span className="pill">Paused</span>}
          {dag.is_stale && <span className="pill pill-warning">Stale</span>}
        </div>
        {hasPermission(session, 'DAG_RUN:create') && (
          <button type="button" className="button button-primary" data-testid="trigger-button" onClick={() => setTriggering(true)}>
            <PlayIcon size={14} /> Trigger
          </button>
        )}
      </div>
      {dag.description && <p className="dag-description">{dag.description}</p>}
      <dl className="dag-facts">
        <div>
          <dt>Schedule</dt>
          <dd title={dag.timetable_summary ?? undefined}>{scheduleInWords(dag.timetable_description, dag.timetable_summary)}</dd>
        </div>
        <div>
          <dt>Next run</dt>
          <dd>{dag.next_dagrun_run_after ? <Time value={dag.next_dagrun_run_after} /> : '—'}</dd>
        </div>
        <div>
          <dt>Owner</dt>
          <dd>{dag.owners.join(', ') || '—'}</dd>
        </div>
        {dag.tags.length > 0 && (
          <div>
            <dt>Tags</dt>
            <dd className="tags">
              {dag.tags.map((tag) => (
                <Link key={tag.name} className="tag" to={`/dags?tag=${encodeURIComponent(tag.name)}`}>
                  {tag.name}
                </Link>
              ))}
            </dd>
          </div>
        )}
      </dl>
      <nav className="tabs" aria-label="DAG views">
        {DAG_TABS.map((tab) => (
          <Link key={tab.id} to={dagTabPath(dag.dag_id, tab.id, runId)} className={`tab${activeTab === tab.id ? ' tab-active' : ''}`} data-testid={`tab-${tab.id}`} aria-current={activeTab === tab.id ? 'page' : undefined}>
            {tab.label}
          </Link>
        ))}
      </nav>
      {triggering && <TriggerDialog dag={dag} onClose={() => setTriggering(false)} />}
    </div>
  );
}
