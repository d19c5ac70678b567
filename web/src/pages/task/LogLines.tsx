// The lines of a log. Memoized on the line array, which only changes when
// lines arrive; very long logs show their tail, the download has them all.
import { memo } from 'react';
import type { LogLine } from '../../api/types';
import { formatTimeOfDay } from '../../lib/format';
import { useTimeZone } from '../../lib/timeZone';

export const MAX_RENDERED_LINES = 5000;

export const LogLines = memo(function LogLines({ lines }: { lines: LogLine[] }) {
  const timeZone = useTimeZone();
  const skipped = Math.max(0, lines.length - MAX_RENDERED_LINES);
  const shown = skipped ? lines.slice(skipped) : lines;
  return (
    <>
      {skipped > 0 && <div className="log-skipped muted">{skipped.toLocaleString('en')} earlier lines not shown: download the log to read them all.</div>}
      {shown.map((line, index) => (
        <div className="log-line" key={skipped + index}>
          <span className="log-number">{skipped + index + 1}</span>
          {line.timestamp && <span className="log-time">{formatTimeOfDay(line.timestamp, timeZone)}</span>}
          <span className="log-text">{line.event}</span>
        </div>
      ))}
    </>
  );
});
