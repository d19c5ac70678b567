import { describe, expect, test } from 'vitest';
import type { GridResponse } from '../api/types';
import { alignTaskStates, buildGridModel, cellState, countStates, runBarHeight, runDuration } from './gridModel';
import { gridRun as run, gridTask } from './gridModel.fixtures';

const tasks = ['a', 'b', 'c'].map(gridTask);

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
