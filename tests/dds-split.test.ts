// Distributed circuits over the DDS transport: examples/distributed/whole.yaml run in one process
// against the same network split in two (sender.yaml in a child `flux run --dds`, receiver.yaml here),
// linked by one spike message per 1 ms tick. The link's delay semantics (bridge/spike-link.ts) say the
// split network is the one-process network with one tick more on A's projection, which whole.yaml
// already has: so the relay must fire A's spikes exactly one tick late, and B must fire exactly as in
// one process. Checked spike for spike on the CPU backend, and by rate on the WebGPU backend (its
// random streams differ from the CPU's by design).
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge, type TickSpikes } from '../bridge/bridge.js';
import { loadBridge } from '../bridge/config.js';
import { DdsTransport, ddsUnavailable } from '../bridge/transport/dds.js';
import { RemapTransport } from '../bridge/transport/remap.js';
import { Engine } from '../engine/engine.js';
import { acquireGpu } from '../engine/backends/webgpu/gpu.js';
import { ddsTestDomain, useCycloneUriInThisProcess } from './fixtures/dds-peers.js';
import { requires } from './requirements.js';

// Under CI=true (where .ci/run installs Cyclone DDS) a missing addon fails instead of skipping.
const why = ddsUnavailable();
if (why !== null && process.env.CI !== 'true') requires('dds', why);
// Unicast discovery on loopback (tests/fixtures/dds-peers.ts), for this process and the ones it
// starts: machines without multicast on their interfaces discover the same way.
useCycloneUriInThisProcess();
const gpu = await acquireGpu();
if (gpu.ok) gpu.context.device.destroy();
// Under CI=true a missing adapter fails (as in the parity suite); elsewhere the GPU case is skipped.
const runGpu = gpu.ok || process.env.CI === 'true';
if (!runGpu) requires('webgpu', gpu.ok ? null : gpu.reason);
const TICKS = 1200; // receiver ticks compared (1.2 s of network time)
const STEPS = 10; // 1 ms ticks of 0.1 ms steps
const DOMAIN = ddsTestDomain('dds-split');

let child: ChildProcess | null = null;
afterEach(() => {
  child?.kill('SIGKILL');
  child = null;
});

/** Starts the sender (`flux run sender.bridge.yaml --dds`) and resolves once it is waiting for a receiver. */
function startSender(topic: string): Promise<ChildProcess> {
  const p = spawn(
    process.execPath,
    [
      'bin/flux.js',
      'run',
      'examples/distributed/sender.bridge.yaml',
      '--dds',
      '--no-dashboard',
      '--status',
      '0',
      '--duration',
      '30s',
      '--ros-args',
      '-r',
      `/flux/spikes/A:=${topic}`,
    ],
    {
      env: { ...process.env, ROS_DOMAIN_ID: String(DOMAIN) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child = p;
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sender did not start: ${out}`)), 20_000);
    const on = (b: Buffer) => {
      out += b.toString();
      if (out.includes('flux: running')) {
        clearTimeout(timer);
        resolve(p);
      }
    };
    p.stdout!.on('data', on);
    p.stderr!.on('data', on);
    p.on('exit', (code) => reject(new Error(`sender exited ${code}: ${out}`)));
  });
}

/** Runs receiver.bridge.yaml here on `backend` for TICKS ticks; returns every population's spikes. */
async function runReceiver(
  backend: 'cpu' | 'webgpu',
  topic: string,
): Promise<{ spikes: Map<string, { steps: number[]; indices: number[] }>; links: ReturnType<Bridge['spikeLinks']> }> {
  const loaded = loadBridge('examples/distributed/receiver.bridge.yaml');
  const engine = await Engine.create(loaded.circuitFile, { backend });
  const dds = DdsTransport.open({ domainId: DOMAIN });
  const transport = new RemapTransport(dds, (t) => (t === '/flux/spikes/A' ? topic : t));
  const bridge = new Bridge(engine, transport, { ...loaded.config, onError: () => undefined });
  const spikes = new Map<string, { steps: number[]; indices: number[] }>();
  let done: () => void;
  const finished = new Promise<void>((r) => (done = r));
  bridge.setSpikeTap((t: TickSpikes) => {
    if (t.first >= TICKS * STEPS) return done();
    for (const [pop, s] of t.populations) {
      const into = spikes.get(pop) ?? { steps: [], indices: [] };
      into.steps.push(...s.steps);
      into.indices.push(...s.indices);
      spikes.set(pop, into);
    }
  });
  bridge.start();
  await finished;
  const links = bridge.spikeLinks();
  await bridge.stop();
  await dds.close();
  engine.dispose();
  return { spikes, links };
}

async function reference(): Promise<Map<string, { steps: number[]; indices: number[] }>> {
  const engine = await Engine.create('examples/distributed/whole.yaml', { backend: 'cpu' });
  engine.backend.configureRecording({ spikes: 'all', rateBin: 0 });
  await engine.step(TICKS * STEPS);
  const rec = engine.backend.recording();
  const out = new Map(Object.entries(rec.populations).map(([k, p]) => [k, { steps: [...p.spikeSteps], indices: [...p.spikeIndices] }]));
  engine.dispose();
  return out;
}

const pairs = (s: { steps: number[]; indices: number[] }, shift = 0, below = Infinity) =>
  s.steps
    .map((t, i) => [t + shift, s.indices[i]] as const)
    .filter(([t]) => t < below)
    .map(([t, i]) => `${t}:${i}`);

describe.skipIf(why !== null && process.env.CI !== 'true')('distributed circuit over DDS (two processes)', () => {
  it("the relay fires A's spikes one tick late and B fires spike for spike as in one process (CPU)", async () => {
    const topic = `/flux/spikes/A_cpu_${process.pid}`;
    const ref = await reference();
    await startSender(topic);
    const { spikes, links } = await runReceiver('cpu', topic);
    const link = links.find((l) => l.role === 'receive')!;
    expect(link.stats.lockstep).toBe(true);
    expect(link.stats.missed).toBe(0);
    expect(link.stats.malformed + link.stats.mismatched).toBe(0);
    // A's spikes of ticks 0..TICKS-2 are the relay's of ticks 1..TICKS-1.
    const relay = pairs(spikes.get('A_relay')!);
    const a = pairs(ref.get('A')!, STEPS, TICKS * STEPS);
    expect(a.length).toBeGreaterThan(5000);
    expect(relay).toEqual(a);
    const b = pairs(spikes.get('B')!);
    expect(b.length).toBeGreaterThan(3000);
    expect(b).toEqual(pairs(ref.get('B')!));
  }, 60_000);

  it.runIf(runGpu)(
    "on the WebGPU backend the relay is exact and B's rate matches the CPU reference within 10%",
    async () => {
      const topic = `/flux/spikes/A_gpu_${process.pid}`;
      const ref = await reference();
      await startSender(topic);
      const { spikes, links } = await runReceiver('webgpu', topic);
      expect(links.find((l) => l.role === 'receive')!.stats.missed).toBe(0);
      expect(pairs(spikes.get('A_relay')!)).toEqual(pairs(ref.get('A')!, STEPS, TICKS * STEPS));
      const n = spikes.get('B')!.steps.length;
      const nRef = ref.get('B')!.steps.length;
      expect(Math.abs(n - nRef) / nRef).toBeLessThan(0.1);
    },
    90_000,
  );
});
