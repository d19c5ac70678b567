import { describe, expect, test } from 'vitest';
import type { GridResponse, GridRun } from '../api/types';
import { alignTaskStates, buildGridModel, cellState, countStates, runBarHeight, runDuration } from './gridModel';
import { sameRange, visibleRange } from './virtualWindow';

function run(id: string, states: GridRun['task_states'], extra: Partial<GridRun> = {}): GridRun {
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

const tasks = ['a', 'b', 'c'].map((id) => ({ task_id: id, task_display_name: id, downstream_task_ids: [] }));

describe('grid model', () => {
  test('states are aligned with the tasks: missing ones are none, extra ones dropped', () => {
    expect(alignTaskStates(3, ['success'])).toEqual(['success', 'none', 'none']);
    expect(alignTaskStates(2, ['failed', null, 'success'])).toEqual(['failed', 'none']);
    expect(alignTaskStates(2, undefined)).toEqual(['none', 'none']);
  });

  test('buildGridModel pads short runs and finds the longest duration', () => {
    const response: GridResponse = {
      tasks,
      dag_runs: [run('r1', ['success', 'failed', 'skipped']), run('r2', ['running'], { state: 'running', duration: null, end_date: null })],
      total_entries: 7,
    };
    const model = buildGridModel(response, new Date('2026-01-01T00:01:00Z'));
    expect(model.runs[1].task_states).toEqual(['running', null, null]);
    expect(cellState(model.runs[1], 0)).toBe('running');
    expect(cellState(model.runs[1], 2)).toBe('none');
    expect(cellState(model.runs[0], 1)).toBe('failed');
    // The running run has lasted 60 s by "now": longer than r1's 10 s.
    expect(model.maxDuration).toBe(60);
    expect(model.totalRuns).toBe(7);
    // Runs already aligned are kept as they are (no copy, no re-render).
    expect(model.runs[0]).toBe(response.dag_runs[0]);
  });

  test('run durations and bar heights', () => {
    expect(runDuration(run('x', [], { duration: 5 }))).toBe(5);
    expect(runBarHeight(30, 60, 50)).toBe(25);
    expect(runBarHeight(0, 60, 50)).toBe(4);
    expect(runBarHeight(10, 0, 50)).toBe(4);
    expect(runBarHeight(60, 60, 50)).toBe(50);
  });

  test('countStates tallies one task across runs', () => {
    const runs = [run('1', ['success', 'failed']), run('2', ['success', null]), run('3', ['failed', 'failed'])];
    expect(countStates(runs, 0)).toEqual({ success: 2, failed: 1 });
    expect(countStates(runs, 1)).toEqual({ failed: 2, none: 1 });
  });
});

describe('virtualization window', () => {
  test('the top of a long list', () => {
    expect(visibleRange(0, 240, 24, 500, 0)).toEqual({ start: 0, end: 10 });
    expect(visibleRange(0, 240, 24, 500, 5)).toEqual({ start: 0, end: 15 });
  });

  test('scrolled into the middle, with overscan on both sides', () => {
    expect(visibleRange(2400, 240, 24, 500, 5)).toEqual({ start: 95, end: 115 });
    // A partly visible row counts.
    expect(visibleRange(2410, 240, 24, 500, 0)).toEqual({ start: 100, end: 111 });
  });

  test('never past either end', () => {
    expect(visibleRange(500 * 24, 240, 24, 500, 5)).toEqual({ start: 495, end: 500 });
    expect(visibleRange(-50, 240, 24, 500, 5)).toEqual({ start: 0, end: 15 });
    expect(visibleRange(0, 240, 24, 0, 5)).toEqual({ start: 0, end: 0 });
  });

  test('a leading header is skipped', () => {
    expect(visibleRange(100, 200, 20, 100, 0, 100)).toEqual({ start: 0, end: 10 });
  });

  test('sameRange', () => {
    expect(sameRange({ start: 1, end: 2 }, { start: 1, end: 2 })).toBe(true);
    expect(sameRange({ start: 1, end: 2 }, { start: 1, end: 3 })).toBe(false);
  });
});
