/// <reference types="vite/client" />
// Flux in a browser tab (issue 21): a bridge document's circuit driving the simulated robot, both in
// this page (the engine on WebAssembly, MuJoCo's WebAssembly build, the bridge on its in-process
// transport), with nothing installed. Query: ?bridge=<path in the page>&arena=<name or path>&seed=<n>,
// &seconds=<simulated s> to stop after that long, &fast to run as fast as it can instead of in real
// time. A share link (#flux=1.…) carries the documents themselves and runs them instead.
import kernelsUrl from '../dist/engine/backends/wasm/kernels.wasm?url';
import { documentsRead, provideAssets, provideFiles } from '../engine/platform/browser-host.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { decodeShareLink, encodeShareLink, isShareLink, type SharedRun } from '../sharing/link.js';
import { arenaOf, robotOf } from '../ui/telemetry.js';
import { arenaSvg } from '../ui/web/arena-svg.js';
import type { ArenaInfo, Telemetry } from '../ui/web/live.js';
import { FLUX, shippedDocuments } from './documents.js';
import { RobotRun, arenaPath } from './robot-run.js';

const wgsl = import.meta.glob<string>('../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true });
const $ = (id: string) => document.getElementById(id)!;

function fail(messages: string): void {
  $('errors').textContent = messages;
  $('errors').hidden = false;
  $('what').textContent = 'Nothing runs: the documents have problems.';
  document.body.dataset.status = 'error';
}

function log(line: string): void {
  $('log').textContent += line + '\n';
}

/** The run the page was opened for: a share link's, or the query's (the Braitenberg demo by default). */
async function requested(): Promise<{ run: SharedRun; shared: boolean }> {
  if (isShareLink(location.hash)) return { run: await decodeShareLink(location.hash), shared: true };
  const q = new URLSearchParams(location.search);
  const seed = q.get('seed');
  return {
    run: {
      bridge: q.get('bridge') ?? `${FLUX}/examples/bridges/braitenberg.yaml`,
      arena: q.get('arena') ?? 'default',
      ...(seed !== null && /^\d{1,10}$/.test(seed) ? { seed: Number(seed) } : {}),
      documents: {},
    },
    shared: false,
  };
}

async function main(): Promise<void> {
  const wasm = await fetch(kernelsUrl);
  provideAssets({
    kernelsWasm: wasm.ok ? new Uint8Array(await wasm.arrayBuffer()) : null,
    shaders: Object.fromEntries(Object.entries(wgsl).map(([path, text]) => [path.slice(path.lastIndexOf('/') + 1), text])),
  });
  provideFiles(shippedDocuments());
  const { run: asked, shared } = await requested();
  // A link's documents replace the page's own at the same paths.
  provideFiles(asked.documents);
  documentsRead(true);
  const q = new URLSearchParams(location.search);
  const seconds = Number(q.get('seconds') ?? Infinity);
  const paced = !q.has('fast');

  const run = await RobotRun.start({ bridge: asked.bridge, arena: asked.arena, seed: asked.seed, log });
  // What this run read (bridge, circuit, packages, arena): what a share link must carry.
  const documents = documentsRead();
  const { sim } = run.loop;
  const arena = arenaOf(sim) as ArenaInfo;
  $('what').textContent = `${shared ? 'A shared run' : asked.bridge} driving the simulated robot in ${arena.name} (${arena.size} m), on ${
    run.loop.node.engine.backend.name
  }, ${paced ? 'in real time' : 'as fast as it goes'}.`;

  const draw = () => {
    const s = run.summary();
    const trail = sim.trail().map((p) => [p.time, p.x, p.y] as [number, number, number]);
    $('view').innerHTML = arenaSvg(arena, trail, robotOf(sim) as NonNullable<Telemetry['robot']>);
    const spikes = Object.values(s.spikes).reduce((a, b) => a + b, 0);
    const rows: [string, string][] = [
      ['simulated', `${s.simSeconds.toFixed(1)} s`],
      ['driven', `${s.distance.toFixed(2)} m`],
      ['collisions', String(s.collisions)],
      ['closest', `${Number.isFinite(s.minClearance) ? s.minClearance.toFixed(3) : '–'} m`],
      ['spikes', spikes.toLocaleString('en')],
    ];
    $('status').innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd data-key="${k}">${v}</dd>`).join('');
  };
  const timer = setInterval(draw, 100);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    draw();
    const summary = run.summary();
    await run.loop.close();
    $('summary').textContent = JSON.stringify(summary);
    ($('stop') as HTMLButtonElement).disabled = true;
    document.body.dataset.status = 'done';
  };
  $('stop').onclick = () => void stop();
  ($('stop') as HTMLButtonElement).disabled = false;
  $('share').onclick = async () => {
    const fragment = await encodeShareLink({ bridge: asked.bridge, arena: arenaPath(asked.arena), seed: asked.seed, documents });
    const link = `${location.origin}${location.pathname}#${fragment}`;
    const field = $('share-link') as HTMLInputElement;
    field.value = link;
    field.hidden = false;
    field.select();
    await navigator.clipboard?.writeText(link).catch(() => undefined);
  };
  ($('share') as HTMLButtonElement).disabled = false;
  document.body.dataset.status = 'running';
  draw();
  await (Number.isFinite(seconds) ? run.loop.runFor(seconds, { paced }) : run.loop.start({ paced }));
  await stop();
}

main().catch((e: unknown) => {
  fail(e instanceof CircuitError ? e.message : String((e as Error)?.stack ?? e));
});
