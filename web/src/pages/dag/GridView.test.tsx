// @vitest-environment jsdom
import { cleanup, fireEvent, render } from '@testing-library/react';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { GridResponse, GridRun } from '../../api/types';
import { buildGridModel } from '../../lib/gridModel';
import { gridRun, gridTask } from '../../lib/gridModel.fixtures';
import { GridView } from './GridView';

function bigGrid(tasks: number, runs: number): GridResponse {
  const taskList = Array.from({ length: tasks }, (_, index) => gridTask(`t${index}`));
  const states: GridRun['task_states'] = taskList.map((_, taskIndex) => (taskIndex % 2 ? 'failed' : 'success'));
  return {
    tasks: taskList,
    dag_runs: Array.from({ length: runs }, (_, index) => gridRun(`run_${index}`, [...states], { state: index === runs - 1 ? 'running' : 'success' })),
    total_entries: runs,
  };
}

afterEach(cleanup);

describe('GridView', () => {
  const handlers = () => ({ onSelectRun: vi.fn(), onSelectTaskInstance: vi.fn(), onSelectTask: vi.fn() });

  test('500 tasks x 100 runs: every label and run header, but only the cells in view', () => {
    const model = buildGridModel(bigGrid(500, 100));
    const { container, getByTestId } = render(<GridView model={model} {...handlers()} />);
    expect(container.querySelectorAll('[data-testid^="grid-task-"]')).toHaveLength(500);
    expect(container.querySelectorAll('[data-testid^="grid-run-"]')).toHaveLength(100);
    const cells = container.querySelectorAll('[data-testid^="grid-cell-"]').length;
    expect(cells).toBeGreaterThan(0);
    expect(cells).toBeLessThan(500 * 100 / 10);
    expect(getByTestId('grid-cell-run_0-t1').getAttribute('data-state')).toBe('failed');
    expect(getByTestId('grid-run-run_99').getAttribute('data-state')).toBe('running');
    // The last task is out of view: no cells for it yet.
    expect(container.querySelector('[data-testid="grid-cell-run_0-t499"]')).toBeNull();
    // jsdom is slow to build 600 elements on a busy 2-core machine.
  }, 30_000);

  test('clicks on a cell, a run and a task select them', () => {
    const callbacks = handlers();
    const { getByTestId } = render(<GridView model={buildGridModel(bigGrid(3, 2))} {...callbacks} />);
    fireEvent.click(getByTestId('grid-cell-run_1-t2'));
    expect(callbacks.onSelectTaskInstance).toHaveBeenCalledWith('run_1', 't2');
    fireEvent.click(getByTestId('grid-run-run_0'));
    expect(callbacks.onSelectRun).toHaveBeenCalledWith('run_0');
    fireEvent.click(getByTestId('grid-task-t1'));
    expect(callbacks.onSelectTask).toHaveBeenCalledWith('t1');
  });

  test('cells without a task instance are drawn as no status', () => {
    const response = bigGrid(2, 1);
    response.dag_runs[0].task_states = ['success'];
    const { getByTestId } = render(<GridView model={buildGridModel(response)} {...handlers()} />);
    expect(getByTestId('grid-cell-run_0-t1').getAttribute('data-state')).toBe('none');
  });
});
