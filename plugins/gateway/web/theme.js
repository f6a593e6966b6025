// Light, dark, or whatever the system says: the choice is kept per browser (localStorage) and applied as
// <html data-theme>, which style.css reads; "system" leaves it to prefers-color-scheme.
const THEME_KEY = 'lanchat.theme';
const THEMES = ['system', 'light', 'dark'];

export function savedTheme() {
  try {
    const theme = localStorage.getItem(THEME_KEY);
    return THEMES.includes(theme) ? theme : 'system';
  } catch {
    return 'system';
  }
}

export function applyTheme(theme) {
  const chosen = THEMES.includes(theme) ? theme : 'system';
  if (chosen === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = chosen;
  try { localStorage.setItem(THEME_KEY, chosen); } catch { /* storage off: this page only */ }
  return chosen;
}
