import { formatDateTime, formatRelative } from '../lib/format';

/** A UTC date and time, with how long ago in the tooltip. */
export function Time({ value, relative }: { value: string | null | undefined; relative?: boolean }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <time dateTime={value} title={relative ? formatDateTime(value) + ' UTC' : formatRelative(value)}>
      {relative ? formatRelative(value) : formatDateTime(value)}
    </time>
  );
}
