import { afterEach, describe, expect, test, vi } from 'vitest';
import { formatDateTime } from './format';
import {
  BROWSER_TIME_ZONE,
  TIME_ZONE_STORAGE_KEY,
  browserTimeZone,
  currentZoneName,
  isValidTimeZone,
  parseTimeZonePreference,
  readTimeZonePreference,
  resolveTimeZone,
  timeZoneNames,
} from './timeZone';

function fakeStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe('the stored preference', () => {
  test('a known zone, UTC or "browser" is kept', () => {
    expect(parseTimeZonePreference('UTC')).toBe('UTC');
    expect(parseTimeZonePreference('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(parseTimeZonePreference('America/New_York')).toBe('America/New_York');
    expect(parseTimeZonePreference(BROWSER_TIME_ZONE)).toBe(BROWSER_TIME_ZONE);
  });

  test('nothing stored, or anything invalid, falls back to UTC', () => {
    for (const saved of [null, undefined, '', 'Mars/Olympus_Mons', 'not a zone', 'Local', '{"tz":"UTC"}', 'x'.repeat(200)]) {
      expect(parseTimeZonePreference(saved)).toBe('UTC');
    }
    expect(isValidTimeZone(42)).toBe(false);
  });

  test('read from storage: a valid value, an invalid one, none, a storage that throws', () => {
    expect(readTimeZonePreference(fakeStorage({ [TIME_ZONE_STORAGE_KEY]: 'Asia/Kolkata' }))).toBe('Asia/Kolkata');
    expect(readTimeZonePreference(fakeStorage({ [TIME_ZONE_STORAGE_KEY]: 'Nowhere/Town' }))).toBe('UTC');
    expect(readTimeZonePreference(fakeStorage())).toBe('UTC');
    expect(readTimeZonePreference(undefined)).toBe('UTC');
    const broken = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => undefined,
    };
    expect(readTimeZonePreference(broken)).toBe('UTC');
  });

  test('"browser" stands for the browser\'s own zone', () => {
    expect(isValidTimeZone(browserTimeZone())).toBe(true);
    expect(resolveTimeZone(BROWSER_TIME_ZONE)).toBe(browserTimeZone());
    expect(resolveTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(resolveTimeZone('garbage')).toBe('UTC');
  });
});

describe('the store', () => {
  test('read at start: an invalid stored value shows UTC, a valid one is used by default', async () => {
    vi.stubGlobal('localStorage', fakeStorage({ [TIME_ZONE_STORAGE_KEY]: 'Atlantis/Capital' }));
    let store = await import('./timeZone');
    let format = await import('./format');
    expect(store.getDisplayTimeZone()).toBe('UTC');
    expect(format.formatDateTime('2026-11-23T15:03:04Z')).toBe('2026-11-23 15:03:04');

    vi.resetModules();
    vi.stubGlobal('localStorage', fakeStorage({ [TIME_ZONE_STORAGE_KEY]: 'Asia/Kolkata' }));
    store = await import('./timeZone');
    format = await import('./format');
    expect(store.getDisplayTimeZone()).toBe('Asia/Kolkata');
    expect(format.formatDateTime('2026-11-23T15:03:04Z')).toBe('2026-11-23 20:33:04');
  });

  test('a change is saved and subscribers hear of it; an invalid choice becomes UTC', async () => {
    const storage = fakeStorage();
    vi.stubGlobal('localStorage', storage);
    const store = await import('./timeZone');
    const heard = vi.fn();
    const unsubscribe = store.subscribeTimeZone(heard);
    expect(store.getTimeZonePreference()).toBe('UTC');

    store.setTimeZonePreference('America/New_York');
    expect(heard).toHaveBeenCalledTimes(1);
    expect(storage.items.get(TIME_ZONE_STORAGE_KEY)).toBe('America/New_York');
    expect(store.getDisplayTimeZone()).toBe('America/New_York');

    store.setTimeZonePreference('Nowhere/Town');
    expect(heard).toHaveBeenCalledTimes(2);
    expect(store.getTimeZonePreference()).toBe('UTC');
    expect(storage.items.get(TIME_ZONE_STORAGE_KEY)).toBe('UTC');

    unsubscribe();
    store.setTimeZonePreference('Asia/Kolkata');
    expect(heard).toHaveBeenCalledTimes(2);
  });
});

describe('the zones offered', () => {
  test('UTC first, current IANA names, the chosen zone always among them', () => {
    const names = timeZoneNames('Asia/Kolkata');
    expect(names[0]).toBe('UTC');
    expect(names.filter((name) => name === 'UTC')).toHaveLength(1);
    expect(names).toContain('Asia/Kolkata');
    expect(names).toContain('America/New_York');
    expect(names).not.toContain('Asia/Calcutta');
    expect(currentZoneName('Asia/Calcutta')).toBe('Asia/Kolkata');
    expect(currentZoneName('Europe/Paris')).toBe('Europe/Paris');
    // Every one offered can be shown.
    for (const name of names) expect(formatDateTime('2026-01-01T00:00:00Z', name)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });
});
