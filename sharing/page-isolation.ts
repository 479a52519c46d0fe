// Cross-origin isolation (SharedArrayBuffer, and so threads in a page): the headers a host should send
// with the page (see the README). `vite preview` sends them (web/vite.config.ts); the tests and the
// browser bench serve the page with and without them. Without them the engine runs on the page's
// thread alone.
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
