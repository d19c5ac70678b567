import { describe, expect, test } from 'vitest';
import { downstreamOf, upstreamOf } from './taskRelatives';

const tasks = [
  { task_id: 'extract', downstream_task_ids: ['transform'] },
  { task_id: 'transform', downstream_task_ids: ['load', 'report'] },
  { task_id: 'load', downstream_task_ids: ['report'] },
  { task_id: 'report', downstream_task_ids: [] },
  { task_id: 'other', downstream_task_ids: [] },
];

describe('task relatives', () => {
  test('upstream through every level', () => {
    expect(upstreamOf(tasks, 'report')).toEqual(['extract', 'load', 'transform']);
    expect(upstreamOf(tasks, 'extract')).toEqual([]);
  });

  test('downstream through every level', () => {
    expect(downstreamOf(tasks, 'extract')).toEqual(['load', 'report', 'transform']);
    expect(downstreamOf(tasks, 'other')).toEqual([]);
  });
});
