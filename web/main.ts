/// <reference types="vite/client" />
// Flux in a browser tab (issue 21): a circuit, or a bridge document's circuit driving the simulated
// robot, run in this page (the engine on WebAssembly, MuJoCo's WebAssembly build, the bridge on its
// in-process transport) with nothing installed. What it runs: see request.ts. Query: &seconds=<simulated
// s> stops after that long, &fast runs as fast as it goes instead of in real time. Share makes a link
// that carries the documents the run read; Open runs a local file (through such a link).
import kernelsUrl from '../dist/engine/backends/wasm/kernels.wasm?url';
import { documentsRead, provideAssets, provideFiles } from '../engine/platform/browser-host.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { encodeShareLink, ShareLinkError, type SharedRun } from '../sharing/link.js';
import { arenaOf, robotOf } from '../ui/telemetry.js';
import { arenaSvg } from '../ui/web/arena-svg.js';
import type { ArenaInfo, Telemetry } from '../ui/web/live.js';
import { shippedDocuments } from './documents.js';
import { RobotRun, arenaPath } from './robot-run.js';
import { CircuitRun } from './circuit-run.js';
import { drawRaster } from './raster.js';
import { boundedText, isBridgeDocument, requested, RequestError } from './request.js';

const wgsl = import.meta.glob<string>('../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true });
const $ = (id: string) => document.getElementById(id)!;
const button = (id: string) => $(id) as HTMLButtonElement;

function log(line: string): void {
  $('log').textContent += line + '\n';
}

function showStatus(rows: [string, string][]): void {
  $('status').innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd data-key="${k}">${v}</dd>`).join('');
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
  const run = await RobotRun.start({ bridge: asked.document, arena: asked.arena ?? 'default', seed: asked.seed, log });
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
  const run = await CircuitRun.start(asked.document, log);
  const canvas = document.createElement('canvas');
  canvas.width = 560;
  canvas.height = 320;
  $('view').replaceChildren(canvas);
  return {
    what: `${asked.document} (${run.engine.circuit.populations.reduce((a, p) => a + p.size, 0).toLocaleString('en')} neurons) on ${run.engine.backend.name}`,
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
  const wasm = await fetch(kernelsUrl);
  provideAssets({
    kernelsWasm: wasm.ok ? new Uint8Array(await wasm.arrayBuffer()) : null,
    shaders: Object.fromEntries(Object.entries(wgsl).map(([path, text]) => [path.slice(path.lastIndexOf('/') + 1), text])),
  });
  provideFiles(shippedDocuments());
  $('open').onchange = () => void openLocal(($('open') as HTMLInputElement).files?.[0]);
  const asked = await requested(location);
  // A link's (or a fetched file's) documents replace the page's own at the same paths.
  provideFiles(asked.documents);
  documentsRead(true);
  const q = new URLSearchParams(location.search);
  const seconds = Number(q.get('seconds') ?? Infinity);
  const paced = !q.has('fast');

  const running = isBridgeDocument(asked.document) ? await robot(asked) : await circuit(asked);
  // What this run read (documents, packages, arena): what a share link must carry.
  const documents = documentsRead();
  $('what').textContent = `${running.what}, ${paced ? 'in real time' : 'as fast as it goes'}.`;
  const timer = setInterval(() => running.draw(), 100);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    running.draw();
    button('stop').disabled = true;
    $('summary').textContent = JSON.stringify(await running.finish());
    document.body.dataset.status = 'done';
  };
  button('stop').onclick = () => {
    running.stop();
    void stop();
  };
  button('stop').disabled = false;
  button('share').onclick = async () => {
    const arena = asked.arena === undefined ? {} : { arena: asked.arena.startsWith('/') ? asked.arena : arenaPath(asked.arena) };
    const fragment = await encodeShareLink({ document: asked.document, ...arena, seed: asked.seed, documents });
    const link = `${location.origin}${location.pathname}#${fragment}`;
    const field = $('share-link') as HTMLInputElement;
    field.value = link;
    field.hidden = false;
    field.select();
    await navigator.clipboard?.writeText(link).catch(() => undefined);
  };
  button('share').disabled = false;
  document.body.dataset.status = 'running';
  running.draw();
  await running.run(seconds, paced);
  await stop();
}

/** Runs a local file: it goes into a share link, so that the run it starts can be shared as it is. */
async function openLocal(file: File | undefined): Promise<void> {
  if (!file) return;
  try {
    const text = await boundedText(file.stream(), file.name);
    const path = `/local/${file.name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_') || 'document.yaml'}`;
    history.replaceState(null, '', `#${await encodeShareLink({ document: path, documents: { [path]: text } })}`);
    location.reload();
  } catch (e) {
    fail(e);
  }
}

function fail(e: unknown): void {
  const known = e instanceof CircuitError || e instanceof ShareLinkError || e instanceof RequestError;
  $('errors').textContent = known ? (e as Error).message : String((e as Error)?.stack ?? e);
  $('errors').hidden = false;
  $('what').textContent = 'Nothing runs: see the problems below.';
  document.body.dataset.status = 'error';
}

main().catch(fail);
