import { formatDateTime, formatDateTimeWithZone, formatRelative } from '../lib/format';
import { useTimeZone } from '../lib/timeZone';

/** A date and time in the display time zone, with how long ago in the tooltip. */
export function Time({ value, relative }: { value: string | null | undefined; relative?: boolean }) {
  const timeZone = useTimeZone();
  if (!value) return <span className="muted">—</span>;
  return (
    <time dateTime={value} title={relative ? formatDateTimeWithZone(value, timeZone) : formatRelative(value)}>
      {relative ? formatRelative(value) : formatDateTime(value, timeZone)}
    </time>
  );
}
