import { normalizeState, stateColor, stateForeground, stateLabel } from '../lib/stateColors';

/** A state as a colored pill, e.g. in tables and headers. */
export function StateBadge({ state, testId }: { state: string | null | undefined; testId?: string }) {
  const normalized = normalizeState(state);
  return (
    <span
      className={`state-badge${normalized === 'none' ? ' state-badge-none' : ''}`}
      style={{ background: stateColor(state), color: stateForeground(state) }}
      data-state={normalized}
      data-testid={testId}
    >
      {stateLabel(state)}
    </span>
  );
}

/** A small square of a state's color, as the grid draws it. */
export function StateSquare({ state, size = 12 }: { state: string | null | undefined; size?: number }) {
  const normalized = normalizeState(state);
  return (
    <span
      className={`state-square${normalized === 'none' ? ' state-none' : ''}`}
      style={{ background: stateColor(state), width: size, height: size }}
      title={stateLabel(state)}
      data-state={normalized}
    />
  );
}
