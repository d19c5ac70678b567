// Dates, durations and relative times as the UI writes them. Dates and times
// are shown in the display time zone the user chose (UTC, Airflow's default UI
// time zone, until they choose another; see timeZone.ts), always in the same
// "YYYY-MM-DD HH:MM:SS" shape.
import { getDisplayTimeZone } from './timeZone';

type DateInput = string | number | Date | null | undefined;

export function parseDate(value: DateInput): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = value instanceof Date ? new Date(value.getTime()) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const pad = (value: number | string, width = 2) => String(value).padStart(width, '0');

// Building a DateTimeFormat is slow next to using one: one per zone, kept.
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
const zoneNameFormats = new Map<string, Intl.DateTimeFormat>();

function cached(cache: Map<string, Intl.DateTimeFormat>, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let format = cache.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { ...options, timeZone });
    cache.set(timeZone, format);
  }
  return format;
}

interface WallClock {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

/** The date and time a clock in timeZone shows at that instant. */
function wallClock(date: Date, timeZone: string): WallClock {
  const format = cached(dateTimeFormats, timeZone, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    // h23, not hour12: false, which some engines write as "24" at midnight.
    hourCycle: 'h23',
  });
  const clock: WallClock = { year: '', month: '', day: '', hour: '', minute: '', second: '' };
  for (const part of format.formatToParts(date)) {
    if (part.type in clock) clock[part.type as keyof WallClock] = part.value;
  }
  return {
    year: pad(clock.year, 4),
    month: pad(clock.month),
    day: pad(clock.day),
    hour: pad(clock.hour === '24' ? '0' : clock.hour),
    minute: pad(clock.minute),
    second: pad(clock.second),
  };
}

/** 2026-11-23 15:03:04, in the display time zone unless one is given. */
export function formatDateTime(value: DateInput, timeZone: string = getDisplayTimeZone()): string {
  const date = parseDate(value);
  if (!date) return '—';
  const c = wallClock(date, timeZone);
  return `${c.year}-${c.month}-${c.day} ${c.hour}:${c.minute}:${c.second}`;
}

/** 15:03:04.123, for log lines. */
export function formatTimeOfDay(value: DateInput, timeZone: string = getDisplayTimeZone()): string {
  const date = parseDate(value);
  if (!date) return '';
  const c = wallClock(date, timeZone);
  // Zones are whole seconds apart: the milliseconds are the same everywhere.
  return `${c.hour}:${c.minute}:${c.second}.${pad(date.getUTCMilliseconds(), 3)}`;
}

/** The zone's short name at that instant: "UTC", "EDT", "EST", "GMT+5:30". */
export function timeZoneShortName(timeZone: string = getDisplayTimeZone(), at: DateInput = new Date()): string {
  const date = parseDate(at) ?? new Date();
  const format = cached(zoneNameFormats, timeZone, { timeZoneName: 'short' });
  return format.formatToParts(date).find((part) => part.type === 'timeZoneName')?.value ?? timeZone;
}

/** 2026-11-23 15:03:04 EST: the date and time with its zone, for tooltips. */
export function formatDateTimeWithZone(value: DateInput, timeZone: string = getDisplayTimeZone()): string {
  const date = parseDate(value);
  if (!date) return '—';
  return `${formatDateTime(date, timeZone)} ${timeZoneShortName(timeZone, date)}`;
}

/** 0.42s, 12s, 3m 05s, 2h 04m, 3d 2h. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 1) return `${seconds.toFixed(2)}s`;
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  const total = Math.floor(seconds);
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${pad(minutes)}m`;
  return `${minutes}m ${pad(secs)}s`;
}

/** Seconds between two instants; a missing end means "still going" (now). */
export function durationBetween(start: DateInput, end: DateInput, now: Date = new Date()): number | null {
  const from = parseDate(start);
  if (!from) return null;
  const to = parseDate(end) ?? now;
  return Math.max(0, (to.getTime() - from.getTime()) / 1000);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** "3 minutes ago", "in 2 hours", "just now". */
export function formatRelative(value: DateInput, now: Date = new Date()): string {
  const date = parseDate(value);
  if (!date) return '—';
  const deltaSeconds = (date.getTime() - now.getTime()) / 1000;
  const magnitude = Math.abs(deltaSeconds);
  if (magnitude < 10) return 'just now';
  const [unit, size] = UNITS.find(([, unitSeconds]) => magnitude >= unitSeconds) ?? UNITS[UNITS.length - 1];
  const amount = Math.round(deltaSeconds / size);
  return new Intl.RelativeTimeFormat('en', { numeric: 'auto' }).format(amount, unit);
}

/** A timedelta as the API serializes it ({days, seconds, microseconds}). */
export function formatTimeDelta(delta: { days: number; seconds: number; microseconds: number } | null | undefined): string {
  if (!delta) return '—';
  return formatDuration(delta.days * 86400 + delta.seconds + delta.microseconds / 1e6);
}

export function formatJson(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') {
    // A string holding JSON reads better indented.
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}
