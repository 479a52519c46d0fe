// `npm run bench`: COBA (4000 neurons, 1 s at dt 0.1 ms) in a browser tab next to Node on the same
// machine (issue 21). The page is the engine bundled for the browser (bench/browser-page.ts) in
// headless Chromium: one thread, the WebAssembly kernels. Node runs the same document on one thread
// too. The two alternate, five runs each, and each keeps its fastest loop (the build is not timed).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Engine } from '../engine/engine.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { ROOT, cobaText } from './networks.js';
import { CHROMIUM, buildEnginePage, serveDir } from './browser-page.js';

/** What the page's fluxRun (tests/fixtures/browser-engine/main.ts) answers, as far as the bench reads it. */
interface PageRun {
  spikeSteps: Record<string, number[]>;
  loopMs: number;
}
type FluxRun = (documents: Record<string, string>, file: string, steps: number, backend: 'cpu') => Promise<PageRun>;

const RUNS = Number(process.env.FLUX_BENCH_REPEATS ?? 5);
const STEPS = 10_000;

if (!existsSync(CHROMIUM)) {
  console.log(`browser bench skipped: ${CHROMIUM} not found (apt-get install chromium)`);
  process.exit(0);
}

const text = cobaText(4000, 80);
const spikes = (r: Record<string, ArrayLike<number>>) => Object.values(r).reduce((a, s) => a + s.length, 0);

function nodeRun(): { loopMs: number; spikes: number } {
  const engine = new Engine(loadFlat(join(ROOT, 'examples/coba.yaml'), text), { kernels: 'wasm', threads: 1 });
  engine.backend.configureRecording({});
  const t0 = performance.now();
  engine.step(STEPS);
  const loopMs = performance.now() - t0;
  const n = spikes(Object.fromEntries(Object.entries(engine.backend.recording().populations).map(([k, p]) => [k, p.spikeSteps])));
  engine.dispose();
  return { loopMs, spikes: n };
}

const dir = mkdtempSync(join(tmpdir(), 'flux-browser-bench-'));
await buildEnginePage(dir);
const server = await serveDir(dir);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
const page = await browser.newPage();
await page.goto(server.url);
await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 30_000 });

const pageTimes: number[] = [];
const nodeTimes: number[] = [];
let counts = '';
for (let k = 0; k < RUNS; k++) {
  const r: PageRun = await page.evaluate(([d, s]) => (Reflect.get(globalThis, 'fluxRun') as FluxRun)(d, '/coba.yaml', s, 'cpu'), [
    { '/coba.yaml': text },
    STEPS,
  ] as const);
  const n = nodeRun();
  pageTimes.push(r.loopMs);
  nodeTimes.push(n.loopMs);
  counts = `${spikes(r.spikeSteps)} spikes in the page, ${n.spikes} in Node`;
  // The same document and seed: a page that differs from Node is a bug, not a speed.
  if (spikes(r.spikeSteps) !== n.spikes) throw new Error(`the page and Node disagree: ${counts}`);
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
