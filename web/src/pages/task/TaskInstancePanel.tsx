// A task instance beside the grid: its facts, its actions, and tabs for its
// log, XCom, rendered templates and tries.
import { useState } from 'react';
import { Link } from 'react-router';
import { useTaskInstance } from '../../api/hooks/taskInstances';
import { Facts } from '../../components/Facts';
import { ErrorMessage, Loading } from '../../components/QueryState';
import { StateBadge } from '../../components/StateBadge';
import { Time } from '../../components/Time';
import { LiveDuration } from '../../components/LiveDuration';
import { isUnfinishedState } from '../../lib/stateColors';
import { TaskInstanceActions } from '../actions/TaskInstanceActions';
import { runPath } from '../dag/dagLinks';
import { AttemptsTab } from './AttemptsTab';
import { LogsTab } from './LogsTab';
import { RenderedTab } from './RenderedTab';
import { XComTab } from './XComTab';

type TiTab = 'logs' | 'xcom' | 'rendered' | 'attempts';
const TABS: { id: TiTab; label: string }[] = [
  { id: 'logs', label: 'Logs' },
  { id: 'xcom', label: 'XCom' },
  { id: 'rendered', label: 'Rendered templates' },
  { id: 'attempts', label: 'Attempts' },
];

export function TaskInstancePanel({ dagId, runId, taskId }: { dagId: string; runId: string; taskId: string }) {
  const [tab, setTab] = useState<TiTab>('logs');
  const query = useTaskInstance(dagId, runId, taskId);

  if (query.error) return <ErrorMessage error={query.error} />;
  if (!query.data) return <Loading what="task instance" />;
  const ti = query.data;
  const active = isUnfinishedState(ti.state);

  return (
    <div className="panel" data-testid="ti-panel">
      <div className="panel-header">
        <div>
          <div className="panel-kicker">
            Task instance · <Link to={runPath(dagId, runId)} className="mono">{runId}</Link>
          </div>
          <h2 className="mono panel-title">{ti.task_display_name || ti.task_id}</h2>
        </div>
        <StateBadge state={ti.state} testId="ti-state" />
      </div>
      <TaskInstanceActions dagId={dagId} runId={runId} taskId={taskId} />
      <Facts
        testId="ti-details"
        items={[
          ['Try', `${ti.try_number} of ${ti.max_tries + 1}`],
          ['Started', <Time value={ti.start_date} />],
          ['Ended', <Time value={ti.end_date} />],
          ['Duration', <LiveDuration start={ti.start_date} end={ti.end_date} seconds={ti.duration} />],
          ['Queued at', <Time value={ti.queued_when} />],
          ['Operator', ti.operator_name ?? ti.operator],
          ['Pool', `${ti.pool} (${ti.pool_slots} slot${ti.pool_slots === 1 ? '' : 's'})`],
          ['Hostname', ti.hostname],
          ['PID', ti.pid],
          ['Priority weight', ti.priority_weight],
        ]}
      />
      <div className="tabs tabs-small" role="tablist">
        {TABS.map((item) => (
          <button key={item.id} type="button" role="tab" aria-selected={tab === item.id} className={`tab${tab === item.id ? ' tab-active' : ''}`} data-testid={`ti-tab-${item.id}`} onClick={() => setTab(item.id)}>
            {item.label}
          </button>
        ))}
      </div>
      <div className="tab-panel">
        {tab === 'logs' && <LogsTab taskInstance={ti} active={active} />}
        {tab === 'xcom' && <XComTab dagId={dagId} runId={runId} taskId={taskId} active={active} />}
        {tab === 'rendered' && <RenderedTab fields={ti.rendered_fields} />}
        {tab === 'attempts' && <AttemptsTab dagId={dagId} runId={runId} taskId={taskId} active={active} />}
      </div>
    </div>
  );
}
