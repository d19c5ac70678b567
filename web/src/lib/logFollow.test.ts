import { describe, expect, test } from 'vitest';
import { EMPTY_LOG, logAsText, logFileName, mergeLogChunk, shouldReadMore } from './logFollow';

describe('following a log with continuation tokens', () => {
  test('chunks are appended in order and the token moves on', () => {
    let state = mergeLogChunk(EMPTY_LOG, { content: [{ event: 'one' }, { event: 'two' }], continuation_token: 't1' });
    state = mergeLogChunk(state, { content: [{ event: 'three' }], continuation_token: 't2' });
    expect(state.lines.map((line) => line.event)).toEqual(['one', 'two', 'three']);
    expect(state.token).toBe('t2');
    expect(state.loads).toBe(2);
  });

  test('an empty answer at the same token changes nothing (same object)', () => {
    const state = mergeLogChunk(EMPTY_LOG, { content: [{ event: 'one' }], continuation_token: 't1' });
    expect(mergeLogChunk(state, { content: [], continuation_token: 't1' })).toBe(state);
    // A null token keeps the last known one.
    expect(mergeLogChunk(state, { content: [], continuation_token: null })).toBe(state);
  });

  test('the first answer counts even when the log is empty', () => {
    const state = mergeLogChunk(EMPTY_LOG, { content: [], continuation_token: 't0' });
    expect(state).not.toBe(EMPTY_LOG);
    expect(state.loads).toBe(1);
    expect(state.token).toBe('t0');
  });

  test('read again at once only while chunks keep coming', () => {
    expect(shouldReadMore({ content: [{ event: 'x' }], continuation_token: 't' })).toBe(true);
    expect(shouldReadMore({ content: [], continuation_token: 't' })).toBe(false);
    expect(shouldReadMore({ content: [{ event: 'x' }], continuation_token: null })).toBe(false);
  });

  test('text and file name for a download', () => {
    expect(logAsText([{ event: 'a', timestamp: '2026-01-01T00:00:00Z' }, { event: 'b' }])).toBe('[2026-01-01T00:00:00Z] a\nb\n');
    expect(logAsText([])).toBe('');
    expect(logFileName('etl', 'manual__2026-01-01T00:00:00+00:00', 'load', 2)).toBe('etl__manual__2026-01-01T00_00_00_00_00__load__try2.log');
  });
});
