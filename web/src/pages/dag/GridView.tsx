// The grid: runs as columns (oldest left), tasks as rows. Only the cells in
// view are drawn, so 500 tasks x 365 runs scroll as smoothly as 5 x 5; one
// click handler serves every cell.
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type CSSProperties, type MouseEvent } from 'react';
import type { GridRun, GridTask } from '../../api/types';
import { formatDateTimeWithZone, formatDuration } from '../../lib/format';
import { cellState, countStates, runBarHeight, runDuration, type GridModel } from '../../lib/gridModel';
import { stateColor, stateLabel } from '../../lib/stateColors';
import { useTimeZone } from '../../lib/timeZone';
import { sameRange, visibleRange, type ItemRange } from '../../lib/virtualWindow';
import { BAR_MAX_HEIGHT, COLUMN_WIDTH, HEADER_HEIGHT, ROW_HEIGHT, labelColumnWidth } from './gridLayout';

interface GridViewProps {
  model: GridModel;
  selectedRunId?: string;
  selectedTaskId?: string;
  onSelectRun: (runId: string) => void;
  onSelectTaskInstance: (runId: string, taskId: string) => void;
  onSelectTask: (taskId: string) => void;
}

interface Viewport {
  rows: ItemRange;
  columns: ItemRange;
}

const OVERSCAN_ROWS = 8;
const NO_COLUMNS: ItemRange = { start: 0, end: 0 };
const OVERSCAN_COLUMNS = 6;

function runTitle(run: GridRun, duration: number, timeZone: string): string {
  return [
    run.dag_run_id,
    `State: ${stateLabel(run.state)}`,
    `Type: ${run.run_type}`,
    `Run after: ${formatDateTimeWithZone(run.run_after, timeZone)}`,
    `Duration: ${formatDuration(duration)}`,
  ].join('\n');
}

export const GridView = memo(function GridView({ model, selectedRunId, selectedTaskId, onSelectRun, onSelectTaskInstance, onSelectTask }: GridViewProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const timeZone = useTimeZone();
  const labelWidth = useMemo(() => labelColumnWidth(model.tasks.map((task) => task.task_display_name || task.task_id)), [model.tasks]);
  const taskCount = model.tasks.length;
  const runCount = model.runs.length;
  const totalWidth = labelWidth + runCount * COLUMN_WIDTH + 12;
  const totalHeight = HEADER_HEIGHT + taskCount * ROW_HEIGHT + 4;

  const computeViewport = useCallback((): Viewport => {
    const element = scrollRef.current;
    const height = element?.clientHeight ?? 600;
    const width = element?.clientWidth ?? 1000;
    return {
      rows: visibleRange(element?.scrollTop ?? 0, height - HEADER_HEIGHT, ROW_HEIGHT, taskCount, OVERSCAN_ROWS),
      columns: visibleRange(element?.scrollLeft ?? 0, width - labelWidth, COLUMN_WIDTH, runCount, OVERSCAN_COLUMNS),
    };
  }, [taskCount, runCount, labelWidth]);

  const [viewport, setViewport] = useState<Viewport>(computeViewport);
  const refresh = useCallback(() => {
    const next = computeViewport();
    setViewport((current) => (sameRange(current.rows, next.rows) && sameRange(current.columns, next.columns) ? current : next));
  }, [computeViewport]);

  // Newest runs are at the right: start there, and stay there as runs arrive
  // if the user had not scrolled away.
  const pinnedRight = useRef(true);
  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (element && pinnedRight.current) element.scrollLeft = element.scrollWidth;
    refresh();
  }, [runCount, refresh]);

  useEffect(() => {
    const element = scrollRef.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(refresh);
    observer.observe(element);
    return () => observer.disconnect();
  }, [refresh]);

  const onScroll = useCallback(() => {
    const element = scrollRef.current;
    if (element) pinnedRight.current = element.scrollLeft + element.clientWidth >= element.scrollWidth - 4;
    refresh();
  }, [refresh]);

  // One handler for all cells: they carry their run and task in data-*.
  const onClick = useCallback(
    (event: MouseEvent<HTMLDivElement>) => {
      const target = (event.target as HTMLElement).closest<HTMLElement>('[data-grid-action]');
      if (!target) return;
      const { gridAction, runId, taskId } = target.dataset;
      if (gridAction === 'cell' && runId && taskId) onSelectTaskInstance(runId, taskId);
      else if (gridAction === 'run' && runId) onSelectRun(runId);
      else if (gridAction === 'task' && taskId) onSelectTask(taskId);
    },
    [onSelectRun, onSelectTaskInstance, onSelectTask],
  );

  const selectedRunIndex = selectedRunId ? model.runs.findIndex((run) => run.dag_run_id === selectedRunId) : -1;
  const selectedTaskIndex = selectedTaskId ? model.tasks.findIndex((task) => task.task_id === selectedTaskId) : -1;

  // Every row keeps its label (500 labels are cheap, and the browser can
  // scroll any task into view); only rows in view get their cells. Rows are
  // memoized, so a scroll re-renders only the rows entering or leaving view.
  const rows = model.tasks.map((task, taskIndex) => {
    const inView = taskIndex >= viewport.rows.start && taskIndex < viewport.rows.end;
    const selected = taskIndex === selectedTaskIndex;
    return (
      <GridRow
        key={task.task_id}
        task={task}
        taskIndex={taskIndex}
        runs={model.runs}
        columns={inView ? viewport.columns : NO_COLUMNS}
        labelWidth={labelWidth}
        selected={selected}
        selectedRunIndex={selected ? selectedRunIndex : -1}
      />
    );
  });

  return (
    <div className="grid-scroll" ref={scrollRef} onScroll={onScroll} onClick={onClick} data-testid="grid">
      <div className="grid-canvas" style={{ width: totalWidth, minWidth: "100%", height: totalHeight }}>
        {selectedRunIndex >= 0 && (
          <div className="grid-run-highlight" style={{ left: labelWidth + selectedRunIndex * COLUMN_WIDTH, height: totalHeight }} />
        )}
        <GridHeader runs={model.runs} totalRuns={model.totalRuns} maxDuration={model.maxDuration} labelWidth={labelWidth} selectedRunIndex={selectedRunIndex} timeZone={timeZone} />
        {rows}
      </div>
    </div>
  );
});

interface GridHeaderProps {
  runs: GridRun[];
  totalRuns: number;
  maxDuration: number;
  labelWidth: number;
  selectedRunIndex: number;
  timeZone: string;
}

/** The run count and a bar per run. Memoized: a scroll changes none of it. */
const GridHeader = memo(function GridHeader({ runs, totalRuns, maxDuration, labelWidth, selectedRunIndex, timeZone }: GridHeaderProps) {
  const now = new Date();
  const runCount = runs.length;
  return (
    <div className="grid-header" style={{ height: HEADER_HEIGHT }}>
      <div className="grid-corner" style={{ width: labelWidth }}>
        <span className="muted small">{totalRuns > runCount ? `${runCount} of ${totalRuns} runs` : `${runCount} run${runCount === 1 ? '' : 's'}`}</span>
      </div>
      {runs.map((run, runIndex) => {
        const duration = runDuration(run, now);
        return (
          <button
            type="button"
            key={run.dag_run_id}
            className={`grid-run${runIndex === selectedRunIndex ? ' grid-run-selected' : ''}`}
            style={{ left: labelWidth + runIndex * COLUMN_WIDTH }}
            data-testid={`grid-run-${run.dag_run_id}`}
            data-state={run.state}
            data-grid-action="run"
            data-run-id={run.dag_run_id}
            title={runTitle(run, duration, timeZone)}
            aria-label={`Run ${run.dag_run_id}: ${run.state}`}
          >
            <span className="grid-run-bar" style={{ height: runBarHeight(duration, maxDuration, BAR_MAX_HEIGHT), background: stateColor(run.state) }} />
          </button>
        );
      })}
    </div>
  );
});

/** A task's label tooltip: its id and how its runs ended. */
function taskTitle(task: GridTask, runs: GridRun[], taskIndex: number): string {
  const counts = Object.entries(countStates(runs, taskIndex))
    .map(([state, count]) => `${count} ${stateLabel(state === 'none' ? null : state)}`)
    .join(', ');
  return counts ? `${task.task_id}\n${counts}` : task.task_id;
}

interface GridRowProps {
  task: GridTask;
  taskIndex: number;
  runs: GridRun[];
  /** The runs whose cells to draw; none while the row is out of view. */
  columns: ItemRange;
  labelWidth: number;
  selected: boolean;
  selectedRunIndex: number;
}

const GridRow = memo(
  function GridRow({ task, taskIndex, runs, columns, labelWidth, selected, selectedRunIndex }: GridRowProps) {
    const cells = [];
    for (let runIndex = columns.start; runIndex < columns.end; runIndex++) {
      const run = runs[runIndex];
      const state = cellState(run, taskIndex);
      const label = stateLabel(state === 'none' ? null : state);
      cells.push(
        <button
          type="button"
          key={run.dag_run_id}
          className={`grid-cell${state === 'none' ? ' state-none' : ''}${runIndex === selectedRunIndex ? ' grid-cell-selected' : ''}`}
          style={{ left: labelWidth + runIndex * COLUMN_WIDTH, '--cell-color': stateColor(state) } as CSSProperties}
          data-testid={`grid-cell-${run.dag_run_id}-${task.task_id}`}
          data-state={state}
          data-grid-action="cell"
          data-run-id={run.dag_run_id}
          data-task-id={task.task_id}
          title={`${task.task_id}\n${run.dag_run_id}\n${label}`}
          aria-label={`${task.task_id} in ${run.dag_run_id}: ${label}`}
        />,
      );
    }
    return (
      <div className={`grid-row${selected ? ' grid-row-selected' : ''}${taskIndex % 2 ? ' grid-row-alt' : ''}`} style={{ top: HEADER_HEIGHT + taskIndex * ROW_HEIGHT }}>
        <button type="button" className="grid-task" style={{ width: labelWidth }} data-testid={`grid-task-${task.task_id}`} data-grid-action="task" data-task-id={task.task_id} title={taskTitle(task, runs, taskIndex)}>
          {task.task_display_name || task.task_id}
        </button>
        {cells}
      </div>
    );
  },
  // Ranges are compared by value: each scroll makes new range objects.
  (before, after) =>
    before.task === after.task &&
    before.taskIndex === after.taskIndex &&
    before.runs === after.runs &&
    sameRange(before.columns, after.columns) &&
    before.labelWidth === after.labelWidth &&
    before.selected === after.selected &&
    before.selectedRunIndex === after.selectedRunIndex,
);
