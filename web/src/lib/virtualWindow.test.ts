import { describe, expect, test } from 'vitest';
import { sameRange, visibleRange } from './virtualWindow';

describe('virtualization window', () => {
  test('the top of a long list', () => {
    expect(visibleRange(0, 240, 24, 500, 0)).toEqual({ start: 0, end: 10 });
    expect(visibleRange(0, 240, 24, 500, 5)).toEqual({ start: 0, end: 15 });
  });

  test('scrolled into the middle, with overscan on both sides', () => {
    expect(visibleRange(2400, 240, 24, 500, 5)).toEqual({ start: 95, end: 115 });
    // A partly visible row counts.
    expect(visibleRange(2410, 240, 24, 500, 0)).toEqual({ start: 100, end: 111 });
  });

  test('never past either end', () => {
    expect(visibleRange(500 * 24, 240, 24, 500, 5)).toEqual({ start: 495, end: 500 });
    expect(visibleRange(-50, 240, 24, 500, 5)).toEqual({ start: 0, end: 15 });
    expect(visibleRange(0, 240, 24, 0, 5)).toEqual({ start: 0, end: 0 });
  });

  test('a leading header is skipped', () => {
    expect(visibleRange(100, 200, 20, 100, 0, 100)).toEqual({ start: 0, end: 10 });
  });

  test('sameRange', () => {
    expect(sameRange({ start: 1, end: 2 }, { start: 1, end: 2 })).toBe(true);
    expect(sameRange({ start: 1, end: 2 }, { start: 1, end: 3 })).toBe(false);
  });
});
