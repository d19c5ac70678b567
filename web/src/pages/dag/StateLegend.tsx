import { STATE_COLORS, stateLabel, type AnyState } from '../../lib/stateColors';
import { StateSquare } from '../../components/StateBadge';

/** Every state with its color, under the grid. */
export function StateLegend() {
  return (
    <div className="legend" aria-label="State colors">
      {(Object.keys(STATE_COLORS) as AnyState[]).map((state) => (
        <span key={state} className="legend-item">
          <StateSquare state={state === 'none' ? null : state} size={10} />
          {stateLabel(state === 'none' ? null : state)}
        </span>
      ))}
    </div>
  );
}
