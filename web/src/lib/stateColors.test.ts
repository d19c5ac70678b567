import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DAG_RUN_STATES, STATE_COLORS, TASK_INSTANCE_STATES, isActiveState, isUnfinishedState, luminance, normalizeState, stateColor, stateForeground, stateTextColor } from './stateColors';

// The API document is the source of truth for the states: read its enums so
// a state added there without a color here fails this test.
const openapi = readFileSync(resolve(import.meta.dirname, '../../../internal/api/openapi.yaml'), 'utf8');
function enumOf(schema: string): string[] {
  const match = new RegExp(`\\n    ${schema}:\\n      type: string\\n      enum: \\[([^\\]]+)\\]`).exec(openapi);
  if (!match) throw new Error(`no enum ${schema} in openapi.yaml`);
  return match[1].split(',').map((value) => value.trim());
}

describe('state colors', () => {
  test('every task instance state of the API has a color', () => {
    const states = enumOf('TaskInstanceState');
    expect(states.length).toBeGreaterThan(10);
    for (const state of states) expect(STATE_COLORS, state).toHaveProperty(state);
    expect([...TASK_INSTANCE_STATES].sort()).toEqual([...states].sort());
  });

  test('every DAG run state of the API has a color', () => {
    const states = enumOf('DagRunState');
    for (const state of states) expect(STATE_COLORS, state).toHaveProperty(state);
    expect([...DAG_RUN_STATES].sort()).toEqual([...states].sort());
  });

  test("Airflow's defaults", () => {
    expect(stateColor('success')).toBe('#008000');
    expect(stateColor('running')).toBe('#00ff00');
    expect(stateColor('failed')).toBe('#ff0000');
    expect(stateColor('upstream_failed')).toBe('#ffa500');
    expect(stateColor('skipped')).toBe('#ff69b4');
    expect(stateColor('up_for_retry')).toBe('#ffd700');
    expect(stateColor('queued')).toBe('#808080');
    expect(stateColor(null)).toBe('transparent');
  });

  test('unknown and missing states read as no status', () => {
    expect(normalizeState(undefined)).toBe('none');
    expect(normalizeState('exploded')).toBe('none');
    expect(normalizeState('deferred')).toBe('deferred');
  });

  test('unfinished: active, or no state yet; a missing answer is not', () => {
    expect(isActiveState(null)).toBe(false);
    expect(isUnfinishedState(null)).toBe(true);
    expect(isUnfinishedState('up_for_retry')).toBe(true);
    expect(isUnfinishedState('success')).toBe(false);
    expect(isUnfinishedState('upstream_failed')).toBe(false);
    expect(isUnfinishedState(undefined)).toBe(false);
  });

  test('lime text is darkened to stay readable; badges pick a contrasting foreground', () => {
    expect(stateTextColor('running')).not.toBe('#00ff00');
    expect(luminance(stateTextColor('running'))).toBeLessThan(luminance('#00ff00'));
    expect(stateForeground('running')).toBe('#111111');
    expect(stateForeground('success')).toBe('#ffffff');
    expect(stateForeground('failed')).toBe('#ffffff');
    expect(stateForeground('up_for_retry')).toBe('#111111');
  });
});
