// Applies the saved or system theme before the first paint, so a dark page
// never flashes white. A file of its own: the server's Content-Security-Policy
// allows no inline script.
(function () {
  try {
    var saved = localStorage.getItem('updraft-theme');
    var dark = saved ? saved === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
    document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  } catch (e) {
    // Storage or matchMedia unavailable: the light theme stays.
  }
})();
