// The dashboard's one page: an import map for Preact, htm and yaml (served from node_modules under
// /vendor/, no bundler), the styles, and the compiled browser code (dist/ui/web, from ui/web/*.ts).
import { createHash } from 'node:crypto';
import { CSS } from './web/styles.js';

const IMPORT_MAP = JSON.stringify({
  imports: {
    preact: '/vendor/preact/dist/preact.mjs',
    'preact/hooks': '/vendor/preact/hooks/dist/hooks.mjs',
    htm: '/vendor/htm/dist/htm.mjs',
    yaml: '/vendor/yaml/index.js',
  },
});

/** Content-Security-Policy: scripts from this server only (and the inline import map, by hash). */
export const CSP = [
  "default-src 'self'",
  `script-src 'self' 'sha256-${createHash('sha256').update(IMPORT_MAP).digest('base64')}'`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function pageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flux dashboard</title>
<script type="importmap">${IMPORT_MAP}</script>
<style>${CSS}</style>
</head>
<body>
<div id="app">Loading the dashboard…</div>
<script type="module" src="/app/main.js"></script>
</body>
</html>
`;
}
