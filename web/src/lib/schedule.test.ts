import { describe, expect, test } from 'vitest';
import { isCronExpression, scheduleInWords } from './schedule';

describe('schedule in words', () => {
  test("the server's description wins", () => {
    expect(scheduleInWords('At 00:00 every day', '0 0 * * *')).toBe('At 00:00 every day');
  });

  test('cron expressions are put in words', () => {
    expect(scheduleInWords(null, '0 0 * * *')).toBe('At 00:00');
    expect(scheduleInWords(null, '*/15 * * * *')).toBe('Every 15 minutes');
    expect(scheduleInWords('', '30 6 * * 1-5')).toBe('At 06:30, Monday through Friday');
  });

  test('presets and durations are shown as written', () => {
    expect(scheduleInWords(null, '@daily')).toBe('@daily');
    expect(scheduleInWords(null, 'every 10m')).toBe('every 10m');
  });

  test('no schedule', () => {
    expect(scheduleInWords(null, null)).toBe('None');
    expect(scheduleInWords(null, 'None')).toBe('None');
  });

  test('what counts as cron', () => {
    expect(isCronExpression('0 0 * * *')).toBe(true);
    expect(isCronExpression('0 0 1 JAN MON')).toBe(true);
    expect(isCronExpression('@hourly')).toBe(false);
    expect(isCronExpression('every 10m')).toBe(false);
    expect(isCronExpression('1 2 3')).toBe(false);
  });
});
