// Grid data for the unit tests of the grid model and the grid view.
import type { GridRun, GridTask } from '../api/types';

export function gridTask(id: string): GridTask {
  return { task_id: id, task_display_name: id, downstream_task_ids: [] };
}

/** A finished manual run of 10 s with the given task states. */
export function gridRun(id: string, states: GridRun['task_states'], extra: Partial<GridRun> = {}): GridRun {
  return {
    dag_run_id: id,
    state: 'success',
    run_type: 'manual',
    logical_date: null,
    run_after: '2026-01-01T00:00:00Z',
    start_date: '2026-01-01T00:00:00Z',
    end_date: '2026-01-01T00:00:10Z',
    duration: 10,
    task_states: states,
    ...extra,
  };
}
