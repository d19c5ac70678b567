import { describe, expect, test } from 'vitest';
import { durationBetween, formatDateTime, formatDuration, formatJson, formatRelative, formatTimeDelta, formatTimeOfDay } from './format';

describe('formatDuration', () => {
  test.each([
    [0.42, '0.42s'],
    [12.9, '12s'],
    [65, '1m 05s'],
    [3600 + 4 * 60 + 9, '1h 04m'],
    [86400 * 3 + 7200, '3d 2h'],
  ])('%s seconds is %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));

  test('no duration', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(-1)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
});

describe('dates', () => {
  test('shown in UTC', () => {
    expect(formatDateTime('2026-11-23T15:03:04.5+02:00')).toBe('2026-11-23 13:03:04');
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime('not a date')).toBe('—');
    expect(formatTimeOfDay('2026-11-23T15:03:04.007Z')).toBe('15:03:04.007');
  });

  test('durationBetween runs to now when there is no end', () => {
    const now = new Date('2026-01-01T00:01:00Z');
    expect(durationBetween('2026-01-01T00:00:00Z', '2026-01-01T00:00:30Z', now)).toBe(30);
    expect(durationBetween('2026-01-01T00:00:00Z', null, now)).toBe(60);
    expect(durationBetween(null, null, now)).toBeNull();
  });

  test('relative time, past and future', () => {
    const now = new Date('2026-06-01T12:00:00Z');
    expect(formatRelative('2026-06-01T11:57:00Z', now)).toBe('3 minutes ago');
    expect(formatRelative('2026-06-01T14:00:00Z', now)).toBe('in 2 hours');
    expect(formatRelative('2026-05-31T12:00:00Z', now)).toBe('yesterday');
    expect(formatRelative('2026-06-01T11:59:55Z', now)).toBe('just now');
    expect(formatRelative(null, now)).toBe('—');
  });

  test('timedelta objects', () => {
    expect(formatTimeDelta({ days: 0, seconds: 300, microseconds: 0 })).toBe('5m 00s');
    expect(formatTimeDelta(null)).toBe('—');
  });

  test('JSON text is indented, other text kept', () => {
    expect(formatJson('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(formatJson('plain')).toBe('plain');
    expect(formatJson([1])).toBe('[\n  1\n]');
  });
});
