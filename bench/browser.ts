// `npm run bench`: Flux in a browser tab next to Node on the same machine (issue 21), in headless
// Chromium, one thread and the WebAssembly kernels on both sides, alternating, each keeping its
// fastest run (loading and building are not timed):
// - COBA (4000 neurons, 1 s at dt 0.1 ms) in the engine bundled for the browser (bench/browser-page.ts);
// - the Braitenberg robot (10 s of simulated time, as fast as it goes) in `npm run build:web`'s page,
//   engine, bridge and MuJoCo together, against the same ClosedLoop in Node.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, cobaText } from './networks.js';
import { CHROMIUM, buildEnginePage, buildWebPage, nodeRun, openEnginePage, serveDir } from './browser-page.js';
import { ClosedLoop } from '../sim/loop.js';
import type { FluxRun, PageRun } from './record-run.js';

const RUNS = Number(process.env.FLUX_BENCH_REPEATS ?? 5);
const STEPS = 10_000;
const ROBOT_SECONDS = 10;

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
