// Cross-origin isolation: the headers a host sends with a page to give it SharedArrayBuffer, which the
// engine's threads in a page need (browser-host.ts). `vite preview` sends them (web/vite.config.ts);
// the tests and the browser bench serve the page with and without them. Without them the engine runs
// on the page's thread alone.
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** The headers as a person would write them in a host's configuration. */
export const isolationHeaderLines = (): string =>
  Object.entries(ISOLATION_HEADERS)
    .map(([k, v]) => `${k}: ${v}`)
    .join(' and ');
