import { durationBetween, formatDuration } from '../lib/format';
import { useNow } from '../lib/useNow';

/** A duration that keeps counting while the thing has not ended. */
export function LiveDuration({ start, end, seconds }: { start: string | null; end: string | null; seconds?: number | null }) {
  const running = Boolean(start) && !end;
  const now = useNow(running);
  if (!running && seconds !== null && seconds !== undefined) return <>{formatDuration(seconds)}</>;
  return <>{formatDuration(durationBetween(start, end, new Date(now)))}</>;
}
