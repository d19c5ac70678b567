import { describe, expect, test } from 'vitest';
import { loadSetting, saveSetting, type SettingsStorage } from './settings';

function memory(): SettingsStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value) };
}

const off: SettingsStorage = {
  getItem: () => {
    throw new Error('SecurityError: storage is disabled');
  },
  setItem: () => {
    throw new Error('QuotaExceededError');
  },
};

describe('settings', () => {
  test('saved settings read back; missing ones are null', () => {
    const storage = memory();
    saveSetting('updraft-grid-limit', '100', storage);
    expect(storage.items.get('updraft-grid-limit')).toBe('100');
    expect(loadSetting('updraft-grid-limit', storage)).toBe('100');
    expect(loadSetting('updraft-theme', storage)).toBeNull();
  });

  test('storage that is off or full reads as nothing and never throws', () => {
    expect(loadSetting('updraft-grid-limit', off)).toBeNull();
    expect(() => saveSetting('updraft-grid-limit', '100', off)).not.toThrow();
  });
});
