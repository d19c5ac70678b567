// Light or dark: saved in localStorage, the system's preference until the
// user picks one.
import { loadSetting, saveSetting } from './settings';

export type Theme = 'light' | 'dark';

export const THEME_STORAGE_KEY = 'updraft-theme';

export function initialTheme(saved: string | null, prefersDark: boolean): Theme {
  if (saved === 'light' || saved === 'dark') return saved;
  return prefersDark ? 'dark' : 'light';
}

export function readTheme(): Theme {
  const saved = loadSetting(THEME_STORAGE_KEY);
  const prefersDark = typeof window !== 'undefined' && window.matchMedia?.('(prefers-color-scheme: dark)').matches;
  return initialTheme(saved, Boolean(prefersDark));
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  saveSetting(THEME_STORAGE_KEY, theme);
}
