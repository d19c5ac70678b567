import { describe, expect, test } from 'vitest';
import { edgePath, fitTransform, layoutGraph, nodeWidth } from './graphLayout';

const tasks = [
  { task_id: 'start', downstream_task_ids: ['a', 'b'] },
  { task_id: 'a', downstream_task_ids: ['join'] },
  { task_id: 'b', downstream_task_ids: ['join', 'gone'] },
  { task_id: 'join', downstream_task_ids: [] },
  { task_id: 'lonely', downstream_task_ids: [] },
];

describe('graph layout', () => {
  const layout = layoutGraph(tasks);

  test('every task gets a position inside the drawing', () => {
    expect(layout.nodes.map((node) => node.id)).toEqual(['start', 'a', 'b', 'join', 'lonely']);
    for (const node of layout.nodes) {
      expect(Number.isFinite(node.x) && Number.isFinite(node.y)).toBe(true);
      expect(node.x).toBeGreaterThanOrEqual(0);
      expect(node.y).toBeGreaterThanOrEqual(0);
      expect(node.x + node.width).toBeLessThanOrEqual(layout.width + 0.5);
      expect(node.y + node.height).toBeLessThanOrEqual(layout.height + 0.5);
    }
  });

  test('edges join known tasks only, each with points', () => {
    const pairs = layout.edges.map((edge) => `${edge.from}->${edge.to}`).sort();
    expect(pairs).toEqual(['a->join', 'b->join', 'start->a', 'start->b']);
    for (const edge of layout.edges) expect(edge.points.length).toBeGreaterThanOrEqual(2);
  });

  test('left to right: a task sits right of its upstream', () => {
    const x = Object.fromEntries(layout.nodes.map((node) => [node.id, node.x]));
    expect(x.a).toBeGreaterThan(x.start);
    expect(x.join).toBeGreaterThan(x.a);
  });

  test('helpers', () => {
    expect(nodeWidth('x')).toBe(120);
    expect(nodeWidth('a_very_long_task_identifier_indeed')).toBeGreaterThan(200);
    expect(edgePath([{ x: 0, y: 0 }, { x: 10.25, y: 5 }])).toBe('M0.0,0.0 L10.3,5.0');
    expect(edgePath([])).toBe('');
    const fit = fitTransform(1000, 500, 520, 300, 10);
    expect(fit.scale).toBeCloseTo(0.5);
    expect(fit.x).toBeCloseTo(10);
  });
});
