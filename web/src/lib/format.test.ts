import { describe, expect, test } from 'vitest';
import { durationBetween, formatDateTime, formatDateTimeWithZone, formatDuration, formatJson, formatRelative, formatTimeDelta, formatTimeOfDay, timeZoneShortName } from './format';

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

  test.each([
    ['2026-11-23T15:03:04.5+02:00', 'UTC', '2026-11-23 13:03:04'],
    ['2026-12-31T23:59:59Z', 'UTC', '2026-12-31 23:59:59'],
    // Asia/Kolkata is UTC+05:30 all year: half an hour off the hour.
    ['2026-11-23T15:03:04Z', 'Asia/Kolkata', '2026-11-23 20:33:04'],
    ['2026-07-01T12:00:00Z', 'Asia/Kolkata', '2026-07-01 17:30:00'],
    // Past midnight there, still the day before in UTC; and midnight is 00, not 24.
    ['2026-12-31T18:30:00Z', 'Asia/Kolkata', '2027-01-01 00:00:00'],
    ['2026-12-31T19:45:07Z', 'Asia/Kolkata', '2027-01-01 01:15:07'],
    // America/New_York has daylight saving time: EDT (UTC-4) in summer,
    // EST (UTC-5) in winter, when the date is here the day before UTC's.
    ['2026-07-04T16:00:00Z', 'America/New_York', '2026-07-04 12:00:00'],
    ['2026-01-15T03:30:00Z', 'America/New_York', '2026-01-14 22:30:00'],
    // Around the spring change (2026-03-08, 02:00 EST becomes 03:00 EDT).
    ['2026-03-08T06:59:59Z', 'America/New_York', '2026-03-08 01:59:59'],
    ['2026-03-08T07:00:00Z', 'America/New_York', '2026-03-08 03:00:00'],
  ])('formatDateTime(%s, %s) is %s', (instant, zone, text) => expect(formatDateTime(instant, zone)).toBe(text));

  test.each([
    ['2026-11-23T15:03:04Z', 'UTC', '2026-11-23 15:03:04 UTC'],
    ['2026-11-23T15:03:04Z', 'Asia/Kolkata', '2026-11-23 20:33:04 GMT+5:30'],
    ['2026-07-04T16:00:00Z', 'America/New_York', '2026-07-04 12:00:00 EDT'],
    ['2026-01-15T16:00:00Z', 'America/New_York', '2026-01-15 11:00:00 EST'],
  ])('formatDateTimeWithZone(%s, %s) is %s', (instant, zone, text) => expect(formatDateTimeWithZone(instant, zone)).toBe(text));

  test.each([
    ['2026-11-23T00:00:00.042Z', 'UTC', '00:00:00.042'],
    ['2026-11-23T15:03:04.007Z', 'Asia/Kolkata', '20:33:04.007'],
    ['2026-01-15T16:00:00.250Z', 'America/New_York', '11:00:00.250'],
  ])('formatTimeOfDay(%s, %s) is %s', (instant, zone, text) => expect(formatTimeOfDay(instant, zone)).toBe(text));

  test('short zone names, daylight saving time included', () => {
    expect(timeZoneShortName('UTC')).toBe('UTC');
    expect(timeZoneShortName('America/New_York', '2026-07-04T16:00:00Z')).toBe('EDT');
  });

  test('dates and numbers are taken too, bad input is a dash', () => {
    expect(formatDateTime(Date.UTC(2026, 10, 23, 15, 3, 4), 'UTC')).toBe('2026-11-23 15:03:04');
    expect(formatDateTime(new Date('2026-11-23T15:03:04Z'), 'Asia/Kolkata')).toBe('2026-11-23 20:33:04');
    expect(formatDateTime(undefined, 'Asia/Kolkata')).toBe('—');
    expect(formatDateTimeWithZone('nope', 'UTC')).toBe('—');
    expect(formatTimeOfDay(null, 'UTC')).toBe('');
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
