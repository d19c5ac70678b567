// The UI's own settings (theme, time zone, grid size), kept in the
// browser's localStorage. Storage may be off (private mode, sandboxed
// frames) or full: then nothing is read and a choice lasts until the page
// reloads, and the page never fails for it.
export type SettingsStorage = Pick<Storage, 'getItem' | 'setItem'>;

function browserStorage(): SettingsStorage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}

/** A saved setting, or null when there is none or it cannot be read. */
export function loadSetting(key: string, from: SettingsStorage | undefined = browserStorage()): string | null {
  try {
    return from?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

/** Saves a setting when the browser lets it. */
export function saveSetting(key: string, value: string, to: SettingsStorage | undefined = browserStorage()): void {
  try {
    to?.setItem(key, value);
  } catch {
    // Not saved: the choice lasts until the page reloads.
  }
}
