// The grid's data as the views need it: one row per task, one column per
// run, each cell's state found by index rather than by searching.
import type { GridResponse, GridRun, GridTask, TaskInstanceState } from '../api/types';
import { durationBetween } from './format';

export type CellState = TaskInstanceState | 'none';

export interface GridModel {
  tasks: GridTask[];
  runs: GridRun[];
  /** Longest run duration in seconds, to scale the run bars. */
  maxDuration: number;
  totalRuns: number;
}

/**
 * A run's states aligned with the task list: the server sends them aligned,
 * but a run still being created may send fewer, and a stale cache more.
 */
export function alignTaskStates(taskCount: number, states: readonly (TaskInstanceState | null)[] | undefined): CellState[] {
  const aligned: CellState[] = new Array(taskCount);
  for (let index = 0; index < taskCount; index++) aligned[index] = states?.[index] ?? 'none';
  return aligned;
}

export function runDuration(run: Pick<GridRun, 'duration' | 'start_date' | 'end_date'>, now: Date = new Date()): number {
  if (run.duration !== null && run.duration !== undefined) return run.duration;
  return durationBetween(run.start_date, run.end_date, now) ?? 0;
}

export function buildGridModel(response: GridResponse, now: Date = new Date()): GridModel {
  const taskCount = response.tasks.length;
  const runs = response.dag_runs.map((run) =>
    run.task_states.length === taskCount ? run : { ...run, task_states: alignTaskStates(taskCount, run.task_states).map((s) => (s === 'none' ? null : s)) },
  );
  const maxDuration = runs.reduce((max, run) => Math.max(max, runDuration(run, now)), 0);
  return { tasks: response.tasks, runs, maxDuration, totalRuns: response.total_entries };
}

export function cellState(run: GridRun, taskIndex: number): CellState {
  return run.task_states[taskIndex] ?? 'none';
}

/** Height of a run's bar: proportional to its duration, never invisible. */
export function runBarHeight(duration: number, maxDuration: number, maxHeight: number, minHeight = 4): number {
  if (maxDuration <= 0) return minHeight;
  return Math.max(minHeight, Math.round((duration / maxDuration) * maxHeight));
}

/** Per task, how many runs ended in each state: the tooltip summary. */
export function countStates(runs: GridRun[], taskIndex: number): Partial<Record<CellState, number>> {
  const counts: Partial<Record<CellState, number>> = {};
  for (const run of runs) {
    const state = cellState(run, taskIndex);
    counts[state] = (counts[state] ?? 0) + 1;
  }
  return counts;
}
