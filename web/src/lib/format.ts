// Dates, durations and relative times as the UI writes them. Times are shown
// in UTC, Airflow's default UI time zone, so every user reads the same clock.

export function parseDate(value: string | null | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** 2026-11-23 15:03:04 */
export function formatDateTime(value: string | null | undefined): string {
  const date = parseDate(value);
  if (!date) return '—';
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
  );
}

/** 15:03:04.123, for log lines. */
export function formatTimeOfDay(value: string | null | undefined): string {
  const date = parseDate(value);
  if (!date) return '';
  return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`;
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
export function durationBetween(start: string | null | undefined, end: string | null | undefined, now: Date = new Date()): number | null {
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
export function formatRelative(value: string | null | undefined, now: Date = new Date()): string {
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
