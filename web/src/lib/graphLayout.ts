// Lays a DAG's tasks out left to right with dagre, giving the SVG view plain
// coordinates to draw.
import dagre from '@dagrejs/dagre';

export interface GraphInputNode {
  task_id: string;
  downstream_task_ids: string[];
  label?: string;
}

export interface PositionedNode {
  id: string;
  label: string;
  /** Top-left corner. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PositionedEdge {
  from: string;
  to: string;
  points: { x: number; y: number }[];
}

export interface GraphLayout {
  nodes: PositionedNode[];
  edges: PositionedEdge[];
  width: number;
  height: number;
}

export const NODE_HEIGHT = 44;
const CHAR_WIDTH = 7.4;
const NODE_PADDING = 40;
const MIN_NODE_WIDTH = 120;

export function nodeWidth(label: string): number {
  return Math.max(MIN_NODE_WIDTH, Math.round(label.length * CHAR_WIDTH + NODE_PADDING));
}

export function layoutGraph(tasks: GraphInputNode[]): GraphLayout {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 56, marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));

  const known = new Set(tasks.map((task) => task.task_id));
  for (const task of tasks) {
    const label = task.label ?? task.task_id;
    graph.setNode(task.task_id, { label, width: nodeWidth(label), height: NODE_HEIGHT });
  }
  for (const task of tasks) {
    for (const downstream of task.downstream_task_ids) {
      // An edge to a task the list does not hold would make dagre invent a node.
      if (known.has(downstream)) graph.setEdge(task.task_id, downstream);
    }
  }
  dagre.layout(graph);

  const nodes: PositionedNode[] = tasks.map((task) => {
    const node = graph.node(task.task_id);
    return {
      id: task.task_id,
      label: task.label ?? task.task_id,
      x: node.x - node.width / 2,
      y: node.y - node.height / 2,
      width: node.width,
      height: node.height,
    };
  });
  const edges: PositionedEdge[] = graph.edges().map((edge) => ({
    from: edge.v,
    to: edge.w,
    points: (graph.edge(edge).points ?? []).map((point: { x: number; y: number }) => ({ x: point.x, y: point.y })),
  }));
  const size = graph.graph();
  return { nodes, edges, width: size.width ?? 0, height: size.height ?? 0 };
}

/** An SVG path through dagre's edge points. */
export function edgePath(points: { x: number; y: number }[]): string {
  if (points.length === 0) return '';
  return points.map((point, index) => `${index === 0 ? 'M' : 'L'}${point.x.toFixed(1)},${point.y.toFixed(1)}`).join(' ');
}

/** Scale and offset that fit a width x height drawing in a viewport. */
export function fitTransform(width: number, height: number, viewportWidth: number, viewportHeight: number, padding = 24) {
  if (width <= 0 || height <= 0 || viewportWidth <= 0 || viewportHeight <= 0) return { scale: 1, x: 0, y: 0 };
  const scale = Math.min(1.5, (viewportWidth - padding * 2) / width, (viewportHeight - padding * 2) / height);
  return {
    scale,
    x: (viewportWidth - width * scale) / 2,
    y: (viewportHeight - height * scale) / 2,
  };
}
