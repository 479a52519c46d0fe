/// <reference types="vite/client" />
// Flux in a browser tab (issue 21): a circuit, or a bridge document's circuit driving the simulated
// robot, run in this page (the engine on WebAssembly or the browser's WebGPU, MuJoCo's WebAssembly
// build, the bridge on its in-process transport) with nothing installed. What it runs: see request.ts.
// Query: &seconds=<simulated s> stops after that long, &fast runs as fast as it goes instead of in real
// time, &backend=cpu|webgpu picks the engine's backend (default auto, as flux run's), &threads=1|2 the CPU
// backend's kernel threads (default auto, measured; two only in a cross-origin isolated page). Share makes a
// link that carries the documents the run read; Open runs a local file (through such a link).
import kernelsUrl from '../dist/engine/backends/wasm/kernels.wasm?url';
import { provideFiles } from '../engine/platform/browser-host.js';
import { provideEngineAssets } from './assets.js';
import { recordDocuments } from '../engine/platform/host.js';
import { encodeShareLink, type SharedRun } from '../sharing/link.js';
import { arenaOf, robotOf } from '../ui/telemetry.js';
import { arenaSvg } from '../ui/web/arena-svg.js';
import type { ArenaInfo, Telemetry } from '../ui/web/live.js';
import { shippedDocuments } from './documents.js';
import { RobotRun } from './robot-run.js';
import { CircuitRun } from './circuit-run.js';
import { drawRaster } from './raster.js';
import { showProblem, showShareLink } from './page-ui.js';
import { boundedText, fileName, requested, requestedEngine, requestedSeconds } from './request.js';
import { isBridgeDocument } from '../bridge/config.js';
import { checkBridgeForPage, checkCircuitSize } from '../sharing/page-limits.js';

const $ = (id: string) => document.getElementById(id)!;
const button = (id: string) => $(id) as HTMLButtonElement;

function log(line: string): void {
  $('log').textContent += line + '\n';
}

/** How many threads run the kernels, and why only one where the page cannot have more. */
const threadsText = (n: number): string =>
  n > 1
    ? `${n} kernel threads`
    : crossOriginIsolated
      ? '1 kernel thread'
      : '1 kernel thread (the page is not cross-origin isolated: no shared memory for more)';

/** Status rows as text, never markup: population names come from documents, which may come from anyone. */
function showStatus(rows: [string, string][]): void {
  $('status').replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      dt.textContent = k;
      dd.textContent = v;
      dd.dataset.key = k;
      return [dt, dd];
    }),
  );
}

/** What a run shows and how it ends, whichever kind it is. */
interface Running {
  what: string;
  draw(): void;
  run(seconds: number, paced: boolean): Promise<void>;
  stop(): void;
  /** The summary, once the run has ended; frees the run. */
  finish(): Promise<unknown>;
}

async function robot(asked: SharedRun): Promise<Running> {
  const run = await RobotRun.start({
    bridge: asked.document,
    arena: asked.arena ?? 'default',
    seed: asked.seed,
    ...requestedEngine(location.search),
    log,
  });
  const { sim } = run.loop;
  const arena = arenaOf(sim) as ArenaInfo;
  $('view').innerHTML = '';
  return {
    what: `${asked.document} driving the simulated robot in ${arena.name} (${arena.size} m), on ${run.loop.node.engine.backend.name}`,
    draw() {
      const s = run.summary();
      const trail = sim.trail().map((p) => [p.time, p.x, p.y] as [number, number, number]);
      $('view').innerHTML = arenaSvg(arena, trail, robotOf(sim) as NonNullable<Telemetry['robot']>);
      showStatus([
        ['simulated', `${s.simSeconds.toFixed(1)} s`],
        ['driven', `${s.distance.toFixed(2)} m`],
        ['collisions', String(s.collisions)],
        ['closest', `${Number.isFinite(s.minClearance) ? s.minClearance.toFixed(3) : '–'} m`],
        [
          'spikes',
          Object.values(s.spikes)
            .reduce((a, b) => a + b, 0)
            .toLocaleString('en'),
        ],
      ]);
    },
    run: (seconds, paced) => (Number.isFinite(seconds) ? run.loop.runFor(seconds, { paced }) : run.loop.start({ paced })),
    stop: () => void run.loop.sim.stop(),
    async finish() {
      const summary = run.summary();
      await run.loop.close();
      return summary;
    },
  };
}

async function circuit(asked: SharedRun): Promise<Running> {
  const run = await CircuitRun.start(asked.document, requestedEngine(location.search), log);
  const canvas = document.createElement('canvas');
  canvas.width = 560;
  canvas.height = 320;
  $('view').replaceChildren(canvas);
  return {
    what: `${asked.document} (${run.engine.circuit.populations.reduce((a, p) => a + p.size, 0).toLocaleString('en')} neurons) on ${run.engine.backend.name}, ${threadsText(run.engine.kernelThreads)}`,
    draw() {
      drawRaster(canvas, run.rows(), run.raster());
      const s = run.summary();
      showStatus([
        ['simulated', `${s.simSeconds.toFixed(2)} s`],
        ...Object.entries(s.rates).map(([p, hz]): [string, string] => [p, `${hz.toFixed(1)} Hz`]),
      ]);
    },
    run: (seconds, paced) => run.runFor(seconds, paced),
    stop: () => run.stop(),
    async finish() {
      const summary = run.summary();
      run.dispose();
      return summary;
    },
  };
}

async function main(): Promise<void> {
  await provideEngineAssets(kernelsUrl);
  provideFiles(shippedDocuments());
  // The IDE on what this page runs.
  ($('ide') as HTMLAnchorElement).href = `./${location.search}${location.hash}`;
  $('open').onchange = () => void openLocal(($('open') as HTMLInputElement).files?.[0]);
  const asked = await requested(location);
  const seconds = requestedSeconds(location.search);
  const paced = !new URLSearchParams(location.search).has('fast');
  // A link's (or a fetched file's) documents replace the page's own at the same paths.
  provideFiles(asked.documents);
  // What this run reads (documents, packages, arena): what a share link must carry.
  const stopRecording = recordDocuments();
  let running: Running;
  let documents: Record<string, string>;
  try {
    const bridge = isBridgeDocument(asked.document);
    // Refused before anything is built: what a tab cannot reach, and what it should not try to hold.
    if (bridge) checkBridgeForPage(asked.document);
    else checkCircuitSize(asked.document);
    running = bridge ? await robot(asked) : await circuit(asked);
  } finally {
    documents = Object.fromEntries(stopRecording().documents);
  }
  $('what').textContent = `${running.what}, ${paced ? 'in real time' : 'as fast as it goes'}.`;
  button('share').onclick = () => void showShareLink(asked, documents);
  button('share').disabled = false;
  await runToEnd(running, seconds, paced);
}

/**
 * Runs until the time asked for, Stop, or a failure anywhere in the page (also one thrown on a later
 * turn of the event loop); then ends the run, which closes the loop (the node publishes its safe
 * command) and frees the engine, and shows the summary or the failure.
 */
async function runToEnd(running: Running, seconds: number, paced: boolean): Promise<void> {
  let failure: unknown = null;
  const onFailure = (e: ErrorEvent | PromiseRejectionEvent) => {
    failure ??= 'reason' in e ? e.reason : e.error;
    running.stop();
  };
  addEventListener('error', onFailure);
  addEventListener('unhandledrejection', onFailure);
  button('stop').onclick = () => running.stop();
  button('stop').disabled = false;
  document.body.dataset.status = 'running';
  running.draw();
  const timer = setInterval(() => running.draw(), 100);
  const t0 = performance.now();
  try {
    await running.run(seconds, paced);
    // The run alone, not the page's load or the build (bench/browser.ts compares it with Node's).
    document.body.dataset.runMs = String(performance.now() - t0);
  } catch (e) {
    failure ??= e;
  }
  clearInterval(timer);
  button('stop').disabled = true;
  running.draw();
  const summary = await running.finish().catch((e: unknown) => void (failure ??= e));
  removeEventListener('error', onFailure);
  removeEventListener('unhandledrejection', onFailure);
  if (failure !== null) return fail(failure, true);
  $('summary').textContent = JSON.stringify(summary);
  document.body.dataset.status = 'done';
}

/** Runs a local file: it goes into a share link, so that the run it starts can be shared as it is. */
async function openLocal(file: File | undefined): Promise<void> {
  if (!file) return;
  try {
    const text = await boundedText(file.stream(), file.name);
    const path = `/local/${fileName(file.name, 'document.yaml')}`;
    history.replaceState(null, '', `#${await encodeShareLink({ document: path, documents: { [path]: text } })}`);
    location.reload();
  } catch (e) {
    fail(e);
  }
}

const fail = showProblem;

main().catch(fail);
