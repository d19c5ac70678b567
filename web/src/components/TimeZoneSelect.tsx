// The topbar's time zone badge: the zone's short name, over a native select
// of every zone, so that it works with the keyboard and screen readers.
import { useMemo } from 'react';
import { timeZoneShortName } from '../lib/format';
import { BROWSER_TIME_ZONE, browserTimeZone, resolveTimeZone, setTimeZonePreference, timeZoneNames, useTimeZonePreference } from '../lib/timeZone';

export function TimeZoneSelect() {
  const preference = useTimeZonePreference();
  const timeZone = resolveTimeZone(preference);
  const browserZone = browserTimeZone();
  const names = useMemo(() => timeZoneNames(preference), [preference]);
  return (
    <label className="topbar-tz" title={`Dates and times are shown in ${timeZone}${preference === BROWSER_TIME_ZONE ? ' (the browser’s zone)' : ''}. Change the time zone`}>
      <span className="topbar-tz-name" aria-hidden="true" data-testid="timezone-name">
        {timeZoneShortName(timeZone)}
      </span>
      <select data-testid="timezone-select" aria-label="Time zone" value={preference} onChange={(event) => setTimeZonePreference(event.target.value)}>
        <option value="UTC">UTC</option>
        <option value={BROWSER_TIME_ZONE}>Browser time zone ({browserZone})</option>
        <optgroup label="All time zones">
          {names
            .filter((name) => name !== 'UTC')
            .map((name) => (
              <option key={name} value={name}>
                {name.replaceAll('_', ' ')}
              </option>
            ))}
        </optgroup>
      </select>
    </label>
  );
}
