// One bar per task instance of a run, from start to end, the time it waited
// in the queue drawn lighter before it.
import { useMemo } from 'react';
import { Link } from 'react-router';
import { useTasks } from '../../../api/hooks/dags';
import { useRunTaskInstances } from '../../../api/hooks/runs';
import type { TaskInstance } from '../../../api/types';
import { Empty, ErrorMessage, Loading } from '../../../components/QueryState';
import { durationBetween, formatDateTimeWithZone, formatDuration, parseDate } from '../../../lib/format';
import { percentOf, ticks, timeSpan } from '../../../lib/ganttScale';
import { isActiveState, normalizeState, stateColor, stateLabel } from '../../../lib/stateColors';
import { useTimeZone } from '../../../lib/timeZone';
import { useNow } from '../../../lib/useNow';
import { taskInstancePath } from '../dagLinks';
import { RunPicker, useSelectedRun } from '../RunPicker';
import { StateLegend } from '../StateLegend';

function formatOffset(ms: number): string {
  if (ms > 0 && ms < 10_000 && ms % 1000 !== 0) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? ` ${seconds % 60}s` : ''}`;
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60) ? ` ${Math.floor((seconds % 3600) / 60)}m` : ''}`;
}

export default function GanttView({ dagId, runId }: { dagId: string; runId?: string }) {
  const { run, runs, loading } = useSelectedRun(dagId, runId);
  const active = isActiveState(run?.state);
  const taskInstances = useRunTaskInstances(dagId, run?.dag_run_id, active);
  const tasks = useTasks(dagId);
  // Running bars grow with the clock, not only when a poll brings news.
  const now = useNow(active);
  const timeZone = useTimeZone();

  // Rows in the order the tasks are listed; tasks never run sit at the end.
  const rows = useMemo(() => {
    const order = new Map((tasks.data?.tasks ?? []).map((task, index) => [task.task_id, index]));
    return [...(taskInstances.data ?? [])].sort((a, b) => {
      const byStart = (parseDate(a.start_date)?.getTime() ?? Infinity) - (parseDate(b.start_date)?.getTime() ?? Infinity);
      return byStart || (order.get(a.task_id) ?? 0) - (order.get(b.task_id) ?? 0);
    });
  }, [taskInstances.data, tasks.data]);
  const span = useMemo(() => timeSpan(rows, now), [rows, now]);

  if (loading) return <Loading what="runs" />;
  if (!run) return <Empty>This DAG has no runs yet.</Empty>;
  return (
    <div className="view-with-toolbar">
      <div className="view-toolbar">
        <RunPicker runs={runs} selected={run.dag_run_id} />
        {span && <span className="muted small" data-testid="gantt-started">Started {formatDateTimeWithZone(span.start, timeZone)}</span>}
      </div>
      {taskInstances.error ? (
        <ErrorMessage error={taskInstances.error} />
      ) : !taskInstances.data ? (
        <Loading />
      ) : (
        <div className="gantt" data-testid="gantt">
          <div className="gantt-axis">
            <div className="gantt-label" />
            <div className="gantt-track">
              {span &&
                ticks(span).map((offset) => (
                  <span key={offset} className="gantt-tick" style={{ left: `${percentOf(span, span.start + offset)}%` }}>
                    {formatOffset(offset)}
                  </span>
                ))}
            </div>
          </div>
          {rows.map((ti) => (
            <GanttRow key={`${ti.task_id}/${ti.map_index}`} ti={ti} span={span} now={now} dagId={dagId} timeZone={timeZone} />
          ))}
        </div>
      )}
      <StateLegend />
    </div>
  );
}

function GanttRow({ ti, span, now, dagId, timeZone }: { ti: TaskInstance; span: ReturnType<typeof timeSpan>; now: number; dagId: string; timeZone: string }) {
  const state = normalizeState(ti.state);
  const start = parseDate(ti.start_date)?.getTime();
  const queued = parseDate(ti.queued_when)?.getTime();
  const end = parseDate(ti.end_date)?.getTime() ?? (start !== undefined ? now : undefined);
  const title = `${ti.task_id}: ${stateLabel(ti.state)}\nQueued ${formatDateTimeWithZone(ti.queued_when, timeZone)}\nStarted ${formatDateTimeWithZone(ti.start_date, timeZone)}\nEnded ${formatDateTimeWithZone(ti.end_date, timeZone)}\nDuration ${formatDuration(ti.duration ?? durationBetween(ti.start_date, ti.end_date))}`;
  return (
    <div className="gantt-row">
      <Link className="gantt-label mono" to={taskInstancePath(dagId, ti.dag_run_id, ti.task_id)} title={ti.task_id}>
        {ti.task_display_name || ti.task_id}
      </Link>
      <div className="gantt-track">
        {span && queued !== undefined && start !== undefined && start > queued && (
          <span className="gantt-queued" style={{ left: `${percentOf(span, queued)}%`, width: `${percentOf(span, start) - percentOf(span, queued)}%`, background: stateColor(state) }} />
        )}
        {span && (start !== undefined || queued !== undefined) && (
          <Link
            to={taskInstancePath(dagId, ti.dag_run_id, ti.task_id)}
            className={`gantt-bar${state === 'none' ? ' state-none' : ''}`}
            data-testid={`gantt-bar-${ti.task_id}`}
            data-state={state}
            title={title}
            style={{
              left: `${percentOf(span, start ?? queued!)}%`,
              width: `max(3px, ${percentOf(span, end ?? start ?? queued!) - percentOf(span, start ?? queued!)}%)`,
              background: stateColor(state),
            }}
          />
        )}
        {(start === undefined && queued === undefined) && (
          <span className="gantt-none muted small" data-testid={`gantt-bar-${ti.task_id}`} data-state={state}>
            {stateLabel(ti.state)}
          </span>
        )}
      </div>
    </div>
  );
}
