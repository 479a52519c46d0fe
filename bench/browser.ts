// `npm run bench`: Flux in a browser tab next to Node on the same machine (issue 21), in headless
// Chromium, the WebAssembly kernels on both sides, alternating, each keeping its fastest run (loading
// and building are not timed):
// - COBA (4000 neurons, 1 s at dt 0.1 ms) on one thread in the engine bundled for the browser
//   (bench/browser-page.ts), and COBA 16000 on two kernel threads in the same page served
//   cross-origin isolated (Web Workers in the page, a worker thread in Node);
// - the Braitenberg robot (10 s of simulated time, as fast as it goes) in `npm run build:web`'s page,
//   engine, bridge and MuJoCo together, against the same ClosedLoop in Node.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, cobaText } from './networks.js';
import { CHROMIUM, buildEnginePage, buildWebPage, nodeRun, openEnginePage, serveDir } from './browser-page.js';
import { ISOLATION_HEADERS } from '../engine/platform/isolation.js';
import { ClosedLoop } from '../sim/loop.js';
import type { FluxRun, PageRun } from './record-run.js';

const RUNS = Number(process.env.FLUX_BENCH_REPEATS ?? 5);
const STEPS = 10_000;
const ROBOT_SECONDS = 10;
/** COBA 16000 on two threads: 0.2 s of biological time (a run takes seconds here). */
const THREADED_STEPS = 2_000;

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
await server.close();

// Two kernel threads: the page needs shared memory, so the same folder served cross-origin isolated.
const isolated = await serveDir(dir, ISOLATION_HEADERS);
const threadedTab = await browser.newPage();
await threadedTab.goto(isolated.url);
await threadedTab.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 30_000 });
const big = cobaText(16000, 80);
const threadedPage: number[] = [];
const threadedNode: number[] = [];
const onePage: number[] = [];
let threadedCounts = '';
for (let k = 0; k < RUNS; k++) {
  const r: PageRun = await threadedTab.evaluate(([d, s]) => (Reflect.get(globalThis, 'fluxRun') as FluxRun)(d, '/coba.yaml', s, 'cpu', 2), [
    { '/coba.yaml': big },
    THREADED_STEPS,
  ] as const);
  if (r.threads !== 2) throw new Error(`the isolated page ran on ${r.threads} thread(s), not 2`);
  // The same page on one thread: what the second thread gains there.
  const one: PageRun = await threadedTab.evaluate(
    ([d, s]) => (Reflect.get(globalThis, 'fluxRun') as FluxRun)(d, '/coba.yaml', s, 'cpu', 1),
    [{ '/coba.yaml': big }, THREADED_STEPS] as const,
  );
  onePage.push(one.loopMs);
  if (spikes(one.spikeSteps) !== spikes(r.spikeSteps)) throw new Error('the page on one and two threads disagrees');
  const n = await nodeRun(join(ROOT, 'examples/coba.yaml'), big, THREADED_STEPS, 2);
  threadedPage.push(r.loopMs);
  threadedNode.push(n.loopMs);
  threadedCounts = `${spikes(r.spikeSteps)} spikes in the page, ${spikes(n.spikeSteps)} in Node`;
  if (spikes(r.spikeSteps) !== spikes(n.spikeSteps)) throw new Error(`the page and Node disagree: ${threadedCounts}`);
  process.stdout.write(`\rbrowser bench (two threads): run ${k + 1}/${RUNS}`);
}
process.stdout.write('\n');
const threadedSeconds = (THREADED_STEPS * 0.1) / 1000;
console.log(
  `COBA 16000, ${threadedSeconds} s biological time, two kernel threads (cross-origin isolated page), WebAssembly kernels; fastest of ${RUNS} runs each, alternating; ${threadedCounts}`,
);
console.log(
  `  page ${best(threadedPage).toFixed(3)} s (real-time factor ${(threadedSeconds / best(threadedPage)).toFixed(2)}), Node ${best(threadedNode).toFixed(3)} s (${(threadedSeconds / best(threadedNode)).toFixed(2)}); Node / page = ${(best(threadedNode) / best(threadedPage)).toFixed(2)}; the page on one thread ${best(onePage).toFixed(3)} s, one / two threads = ${(best(onePage) / best(threadedPage)).toFixed(2)}`,
);
await threadedTab.close();
await isolated.close();
rmSync(dir, { recursive: true, force: true });

/** The robot in Node as the page runs it; the summary and the time of the run alone (ms). */
async function nodeRobot(): Promise<{ summary: string; ms: number }> {
  const bridge = join(ROOT, 'examples/bridges/braitenberg.yaml');
  const loop = await ClosedLoop.create({ bridge, arena: 'default', backend: 'cpu', threads: 1, log: () => undefined });
  const t0 = performance.now();
  await loop.runFor(ROBOT_SECONDS, { paced: false });
  const ms = performance.now() - t0;
  const { pose, distance } = loop.summary();
  await loop.close();
  return { summary: JSON.stringify({ pose, distance }), ms };
}

const web = mkdtempSync(join(tmpdir(), 'flux-web-bench-'));
await buildWebPage(web);
const webServer = await serveDir(web);
const robotPage: number[] = [];
const robotNode: number[] = [];
let driven = '';
for (let k = 0; k < RUNS; k++) {
  const tab = await browser.newPage();
  await tab.goto(`${webServer.url}run.html?seconds=${ROBOT_SECONDS}&fast`);
  await tab.waitForSelector('body[data-status="done"], body[data-status="error"]', { state: 'attached', timeout: 120_000 });
  const inPage = JSON.parse((await tab.textContent('#summary')) || 'null') as { pose: unknown; distance: number } | null;
  if (!inPage) throw new Error(`the robot page failed: ${await tab.textContent('#errors')}`);
  robotPage.push(Number(await tab.evaluate(() => document.body.dataset.runMs)));
  await tab.close();
  const n = await nodeRobot();
  robotNode.push(n.ms);
  // The same documents: a page that drives otherwise is a bug, not a speed.
  if (JSON.stringify({ pose: inPage.pose, distance: inPage.distance }) !== n.summary)
    throw new Error('the page and Node drove differently');
  driven = `${inPage.distance.toFixed(3)} m driven in both`;
  process.stdout.write(`\rbrowser bench (robot): run ${k + 1}/${RUNS}`);
}
process.stdout.write('\n');
console.log(
  `Braitenberg robot, ${ROBOT_SECONDS} s simulated as fast as it goes (engine, bridge and MuJoCo); fastest of ${RUNS} runs each, alternating; ${driven}`,
);
console.log(
  `  page ${best(robotPage).toFixed(3)} s (real-time factor ${(ROBOT_SECONDS / best(robotPage)).toFixed(1)}), Node ${best(robotNode).toFixed(3)} s (${(ROBOT_SECONDS / best(robotNode)).toFixed(1)}); Node / page = ${(best(robotNode) / best(robotPage)).toFixed(2)}`,
);
await browser.close();
await webServer.close();
rmSync(web, { recursive: true, force: true });
