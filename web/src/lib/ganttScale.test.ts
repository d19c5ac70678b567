import { describe, expect, test } from 'vitest';
import { percentOf, tickStep, ticks, timeSpan } from './ganttScale';

describe('Gantt scale', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');

  test('the span runs from the first queue to the last end, or now while running', () => {
    const span = timeSpan(
      [
        { queued_when: '2026-01-01T00:00:00Z', start_date: '2026-01-01T00:00:05Z', end_date: '2026-01-01T00:01:00Z' },
        { queued_when: null, start_date: '2026-01-01T00:02:00Z', end_date: null },
        { queued_when: null, start_date: null, end_date: null },
      ],
      now,
    );
    expect(span).toEqual({ start: Date.parse('2026-01-01T00:00:00Z'), end: now });
  });

  test('nothing started: no span', () => {
    expect(timeSpan([{ queued_when: null, start_date: null, end_date: null }], now)).toBeNull();
  });

  test('round tick steps', () => {
    expect(tickStep(60_000)).toBe(10_000);
    expect(tickStep(3_600_000)).toBe(600_000);
    expect(tickStep(500)).toBe(100);
    expect(ticks({ start: 0, end: 60_000 })).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    expect(percentOf({ start: 100, end: 300 }, 150)).toBe(25);
  });
});
