// Light or dark: saved in localStorage, the system's preference until the
// user picks one.
export type Theme = 'light' | 'dark';

export const THEME_STORAGE_KEY = 'updraft-theme';

export function initialTheme(saved: string | null, prefersDark: boolean): Theme {
  if (saved === 'light' || saved === 'dark') return saved;
  return prefersDark ? 'dark' : 'light';
}

export function readTheme(): Theme {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(THEME_STORAGE_KEY);
  } catch {
    // Storage may be off (private mode); fall back to the system.
  }
  const prefersDark = typeof window !== 'undefined' && window.matchMedia?.('(prefers-color-scheme: dark)').matches;
  return initialTheme(saved, Boolean(prefersDark));
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(THEME_STORAGE_KEY, theme);
  } catch {
    // Not saved: the choice lasts until the page reloads.
  }
}
