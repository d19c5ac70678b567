// The time zone dates and times are shown in, as Airflow 3's UI lets each user
// choose it: UTC (the default, so everyone reads the same clock), the
// browser's own zone, or any IANA zone. Kept in localStorage; an external
// store, so that every component showing a time re-renders on a change.
import { useSyncExternalStore } from 'react';
import { loadSetting, saveSetting, type SettingsStorage } from './settings';

export const TIME_ZONE_STORAGE_KEY = 'updraft-timezone';
export const DEFAULT_TIME_ZONE = 'UTC';
/** The preference for "whatever zone the browser is in", kept as such. */
export const BROWSER_TIME_ZONE = 'browser';

/** Whether Intl knows the zone (IANA names such as "Asia/Kolkata", "UTC"). */
export function isValidTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone === '' || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

// Names CLDR (and so Intl in some engines) still lists under their old IANA
// spelling; the selector offers the current ones.
const RENAMED: Record<string, string> = {
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Asia/Rangoon': 'Asia/Yangon',
  'Europe/Kiev': 'Europe/Kyiv',
  'America/Godthab': 'America/Nuuk',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Pacific/Truk': 'Pacific/Chuuk',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Enderbury': 'Pacific/Kanton',
};

/** The current IANA spelling of a zone name. */
export function currentZoneName(zone: string): string {
  const renamed = RENAMED[zone];
  return renamed && isValidTimeZone(renamed) ? renamed : zone;
}

/** The browser's own zone, UTC when it cannot be told. */
export function browserTimeZone(): string {
  try {
    const zone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (isValidTimeZone(zone)) return currentZoneName(zone);
  } catch {
    // No Intl time zone support: fall through.
  }
  return DEFAULT_TIME_ZONE;
}

/** A stored preference as the UI uses it: anything unknown is UTC. */
export function parseTimeZonePreference(saved: string | null | undefined): string {
  if (saved === BROWSER_TIME_ZONE) return saved;
  return isValidTimeZone(saved) ? saved : DEFAULT_TIME_ZONE;
}

/** The IANA zone a preference stands for. */
export function resolveTimeZone(preference: string): string {
  return preference === BROWSER_TIME_ZONE ? browserTimeZone() : parseTimeZonePreference(preference);
}

export function readTimeZonePreference(from?: SettingsStorage): string {
  return parseTimeZonePreference(loadSetting(TIME_ZONE_STORAGE_KEY, from));
}

/** Every zone the selector offers: UTC first, then Intl's list, sorted. */
export function timeZoneNames(current?: string): string[] {
  let listed: string[] = [];
  try {
    listed = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  } catch {
    // An engine without the list offers UTC, the browser's zone and the current one.
  }
  const names = new Set(listed.map(currentZoneName));
  names.add(browserTimeZone());
  if (current && current !== BROWSER_TIME_ZONE && isValidTimeZone(current)) names.add(current);
  names.delete(DEFAULT_TIME_ZONE);
  return [DEFAULT_TIME_ZONE, ...[...names].sort()];
}

// The store: the preference read once at start, changed by the selector (or by
// another tab, through the storage event).
let preference: string | null = null;
const listeners = new Set<() => void>();

export function getTimeZonePreference(): string {
  if (preference === null) preference = readTimeZonePreference();
  return preference;
}

/** The zone times are shown in now. */
export function getDisplayTimeZone(): string {
  return resolveTimeZone(getTimeZonePreference());
}

/** Takes a new preference, telling the subscribers when it differs. */
function adopt(value: string): void {
  if (value === preference) return;
  preference = value;
  listeners.forEach((listener) => listener());
}

export function setTimeZonePreference(next: string): void {
  const value = parseTimeZonePreference(next);
  saveSetting(TIME_ZONE_STORAGE_KEY, value);
  adopt(value);
}

function onStorage(event: StorageEvent) {
  if (event.key !== null && event.key !== TIME_ZONE_STORAGE_KEY) return;
  adopt(parseTimeZonePreference(event.newValue));
}

export function subscribeTimeZone(listener: () => void): () => void {
  listeners.add(listener);
  if (listeners.size === 1 && typeof window !== 'undefined') window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && typeof window !== 'undefined') window.removeEventListener('storage', onStorage);
  };
}

/** The preference as chosen ("UTC", "browser" or an IANA name). */
export function useTimeZonePreference(): string {
  return useSyncExternalStore(subscribeTimeZone, getTimeZonePreference, () => DEFAULT_TIME_ZONE);
}

/** The IANA zone to show times in; the component re-renders when it changes. */
export function useTimeZone(): string {
  return resolveTimeZone(useTimeZonePreference());
}
