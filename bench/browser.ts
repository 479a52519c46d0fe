// `npm run bench`: COBA (4000 neurons, 1 s at dt 0.1 ms) in a browser tab next to Node on the same
// machine (issue 21). The page is the engine bundled for the browser (bench/browser-page.ts) in
// headless Chromium: one thread, the WebAssembly kernels. Node runs the same document on one thread
// too. The two alternate, five runs each, and each keeps its fastest loop (the build is not timed).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, cobaText } from './networks.js';
import { CHROMIUM, buildEnginePage, nodeRun, openEnginePage, serveDir } from './browser-page.js';
import type { FluxRun, PageRun } from './record-run.js';

const RUNS = Number(process.env.FLUX_BENCH_REPEATS ?? 5);
const STEPS = 10_000;

if (!existsSync(CHROMIUM)) {
  console.log(`browser bench skipped: ${CHROMIUM} not found (apt-get install chromium)`);
  process.exit(0);
}

const text = cobaText(4000, 80);
const spikes = (r: Record<string, number[]>) => Object.values(r).reduce((a, s) => a + s.length, 0);

const dir = mkdtempSync(join(tmpdir(), 'flux-browser-bench-'));
await buildEnginePage(dir);
const server = await serveDir(dir);
const { browser, page } = await openEnginePage(server.url);

const pageTimes: number[] = [];
const nodeTimes: number[] = [];
let counts = '';
for (let k = 0; k < RUNS; k++) {
  const r: PageRun = await page.evaluate(([d, s]) => (Reflect.get(globalThis, 'fluxRun') as FluxRun)(d, '/coba.yaml', s, 'cpu'), [
    { '/coba.yaml': text },
    STEPS,
  ] as const);
  const n = await nodeRun(join(ROOT, 'examples/coba.yaml'), text, STEPS);
  pageTimes.push(r.loopMs);
  nodeTimes.push(n.loopMs);
  counts = `${spikes(r.spikeSteps)} spikes in the page, ${spikes(n.spikeSteps)} in Node`;
  // The same document and seed: a page that differs from Node is a bug, not a speed.
  if (spikes(r.spikeSteps) !== spikes(n.spikeSteps)) throw new Error(`the page and Node disagree: ${counts}`);
  process.stdout.write(`\rbrowser bench: run ${k + 1}/${RUNS}`);
}
process.stdout.write('\n');
const best = (xs: number[]) => Math.min(...xs) / 1000;
console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, node ${process.version}, Chromium ${browser.version()} (headless)`);
console.log(`COBA 4000, 1 s biological time, one thread, WebAssembly kernels; fastest of ${RUNS} runs each, alternating; ${counts}`);
console.log(
  `  page ${best(pageTimes).toFixed(3)} s (real-time factor ${(1 / best(pageTimes)).toFixed(2)}), Node ${best(nodeTimes).toFixed(3)} s (${(1 / best(nodeTimes)).toFixed(2)}); Node / page = ${(best(nodeTimes) / best(pageTimes)).toFixed(2)} (above 1: the page is faster)`,
);
await browser.close();
await server.close();
rmSync(dir, { recursive: true, force: true });
