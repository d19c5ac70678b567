// Airflow's default state colors, the one source every view reads, so a
// state looks the same in the grid, the graph, the Gantt chart and badges.
import type { DagRunState, TaskInstanceState } from '../api/types';

/** A task instance without a state (not yet scheduled) is drawn as 'none'. */
export type AnyState = TaskInstanceState | DagRunState | 'none';

export const TASK_INSTANCE_STATES: readonly TaskInstanceState[] = [
  'removed',
  'scheduled',
  'queued',
  'running',
  'success',
  'restarting',
  'failed',
  'up_for_retry',
  'up_for_reschedule',
  'upstream_failed',
  'skipped',
  'deferred',
];

export const DAG_RUN_STATES: readonly DagRunState[] = ['queued', 'running', 'success', 'failed'];

export const STATE_COLORS: Record<AnyState, string> = {
  success: '#008000',
  running: '#00ff00',
  failed: '#ff0000',
  upstream_failed: '#ffa500',
  skipped: '#ff69b4',
  up_for_retry: '#ffd700',
  up_for_reschedule: '#40e0d0',
  queued: '#808080',
  scheduled: '#d2b48c',
  deferred: '#9370db',
  removed: '#d3d3d3',
  restarting: '#ee82ee',
  none: 'transparent',
};

/**
 * Colors for state names written as text: lime and gold are unreadable on
 * white, so those few get a darker shade of the same hue.
 */
const TEXT_OVERRIDES: Partial<Record<AnyState, string>> = {
  running: '#00a000',
  up_for_retry: '#b8860b',
  up_for_reschedule: '#1f9e94',
  removed: '#8a8a8a',
  scheduled: '#a0804f',
  none: 'var(--text-muted)',
};

export function normalizeState(state: string | null | undefined): AnyState {
  if (!state) return 'none';
  return state in STATE_COLORS ? (state as AnyState) : 'none';
}

export function stateColor(state: string | null | undefined): string {
  return STATE_COLORS[normalizeState(state)];
}

export function stateTextColor(state: string | null | undefined): string {
  const normalized = normalizeState(state);
  return TEXT_OVERRIDES[normalized] ?? STATE_COLORS[normalized];
}

/** Relative luminance of a #rrggbb color (WCAG's formula). */
export function luminance(hex: string): number {
  const match = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!match) return 1;
  const channel = (offset: number) => {
    const value = parseInt(match[1].slice(offset, offset + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
}

/** Black or white, whichever reads better on the state's color. */
export function stateForeground(state: string | null | undefined): string {
  const color = stateColor(state);
  if (color === 'transparent') return 'var(--text)';
  return luminance(color) > 0.35 ? '#111111' : '#ffffff';
}

export function stateLabel(state: string | null | undefined): string {
  return state ? state.replace(/_/g, ' ') : 'no status';
}

/** States a run or task instance can still leave by itself. */
export function isActiveState(state: string | null | undefined): boolean {
  return (
    state === 'running' ||
    state === 'queued' ||
    state === 'scheduled' ||
    state === 'up_for_retry' ||
    state === 'up_for_reschedule' ||
    state === 'restarting' ||
    state === 'deferred'
  );
}

/** A task instance not done yet: active, or without a state (not scheduled yet). */
export function isUnfinishedState(state: string | null | undefined): boolean {
  return state === null || isActiveState(state);
}
