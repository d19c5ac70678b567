import { memo } from 'react';
import type { TaskInstanceState } from '../../../api/types';
import { FitIcon } from '../../../components/Icons';
import { edgePath, type GraphLayout } from '../../../lib/graphLayout';
import { normalizeState, stateColor, stateLabel } from '../../../lib/stateColors';
import { usePanZoom } from './usePanZoom';

interface GraphCanvasProps {
  layout: GraphLayout;
  states: Map<string, TaskInstanceState | null>;
  operators: Map<string, string>;
  onNodeClick?: (taskId: string) => void;
}

export const GraphCanvas = memo(function GraphCanvas({ layout, states, operators, onNodeClick }: GraphCanvasProps) {
  const { containerRef, transform, fit, zoomBy, handlers } = usePanZoom(layout.width, layout.height);
  return (
    <div className="graph" ref={containerRef} data-testid="graph" {...handlers}>
      <div className="graph-controls">
        <button type="button" className="icon-button" onClick={() => zoomBy(1.25)} aria-label="Zoom in" title="Zoom in">
          +
        </button>
        <button type="button" className="icon-button" onClick={() => zoomBy(0.8)} aria-label="Zoom out" title="Zoom out">
          −
        </button>
        <button type="button" className="icon-button" onClick={fit} aria-label="Fit to view" title="Fit to view" data-testid="graph-fit">
          <FitIcon size={16} />
        </button>
      </div>
      <svg width="100%" height="100%">
        <defs>
          <marker id="graph-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="graph-arrow" />
          </marker>
        </defs>
        <g transform={`translate(${transform.x},${transform.y}) scale(${transform.scale})`}>
          {layout.edges.map((edge) => (
            <path key={`${edge.from}->${edge.to}`} d={edgePath(edge.points)} className="graph-edge" markerEnd="url(#graph-arrow)" />
          ))}
          {layout.nodes.map((node) => {
            const state = normalizeState(states.get(node.id));
            const color = stateColor(state);
            return (
              <g
                key={node.id}
                data-node
                data-testid={`graph-node-${node.id}`}
                data-state={state}
                transform={`translate(${node.x},${node.y})`}
                className={`graph-node${onNodeClick ? ' graph-node-clickable' : ''}`}
                onClick={() => onNodeClick?.(node.id)}
              >
                <title>{`${node.id}: ${stateLabel(state === 'none' ? null : state)}`}</title>
                <rect width={node.width} height={node.height} rx={6} className="graph-node-box" style={{ stroke: state === 'none' ? undefined : color }} />
                <rect width={6} height={node.height} rx={3} style={{ fill: state === 'none' ? 'transparent' : color }} />
                <text x={14} y={18} className="graph-node-label">
                  {node.label}
                </text>
                <text x={14} y={34} className="graph-node-sub">
                  {state === 'none' ? operators.get(node.id) || 'task' : stateLabel(state)}
                </text>
              </g>
            );
          })}
        </g>
      </svg>
    </div>
  );
});
