// The bridge's own safety rules on the memory transport (the guard thread and the stall from outside
// are in tests/stall.test.ts): non-finite neuron state is a failed tick that names the population,
// a loop below its real-time bound publishes safe values, and holdSafe() stops the robot before work
// that may outlast a tick and keeps it stopped until the loop has caught up.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Engine } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { Bridge, type BridgeConfig } from '../bridge/bridge.js';
import { MemoryTransport } from '../bridge/transport/memory.js';
import { DEFAULT_QOS, SENSOR_QOS } from '../bridge/transport/transport.js';
import { createCodec } from '../bridge/codec/cdr.js';
import { libraryCircuit, EVENTUALLY } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rate = { kind: 'rate' as const, tau: 100, rateMax: 100, min: 0, max: 1 };

function rig(extra: Partial<BridgeConfig> = {}) {
  const transport = new MemoryTransport();
  const engine = new Engine<Backend>(loadFlat(libraryCircuit('braitenberg/braitenberg')));
  const errors: string[] = [];
  const proximity = { kind: 'current' as const, min: 2, max: 0.2, currentMax: 1 };
  const bridge = new Bridge(engine, transport, {
    tickHz: 200,
    watchdogMs: 100,
    onError: (m) => errors.push(m),
    inputs: [
      {
        input: 'range_left',
        topic: '/scan',
        type: 'sensor_msgs/msg/LaserScan',
        path: 'ranges[4:8]',
        encoder: proximity,
        timeoutMs: 300,
        valid: [0, 30],
      },
      {
        input: 'range_right',
        topic: '/scan',
        type: 'sensor_msgs/msg/LaserScan',
        path: 'ranges[0:4]',
        encoder: proximity,
        timeoutMs: 300,
        valid: [0, 30],
      },
    ],
    outputs: [
      {
        name: 'cmd',
        topic: '/cmd_vel',
        type: 'geometry_msgs/msg/Twist',
        rateHz: 50,
        values: [
          {
            path: 'linear.x',
            terms: [
              { population: 'motor_left', decoder: rate, weight: 0.5 },
              { population: 'motor_right', decoder: rate, weight: 0.5 },
            ],
            limits: { min: 0, max: 0.5 },
          },
        ],
      },
    ],
    ...extra,
  });
  const scan = createCodec('sensor_msgs/msg/LaserScan');
  const twist = createCodec('geometry_msgs/msg/Twist');
  const pub = transport.advertise('/scan', 'sensor_msgs/msg/LaserScan', { ...SENSOR_QOS, reliability: 'reliable' });
  const cmds: { at: number; x: number }[] = [];
  transport.subscribe('/cmd_vel', 'geometry_msgs/msg/Twist', DEFAULT_QOS, (b) =>
    cmds.push({ at: performance.now(), x: (twist.decode(b) as { linear: { x: number } }).linear.x }),
  );
  const m = scan.zero();
  m.ranges = [3, 3, 3, 3, 3, 3, 3, 3];
  const bytes = scan.encode(m);
  const feed = setInterval(() => pub.publish(bytes), 20);
  return { engine, bridge, cmds, errors, stop: async () => (clearInterval(feed), await bridge.stop()) };
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('bridge safety rules', () => {
  it('NaN neuron state is a failed tick naming the population: the output goes safe, not silently to rate 0', async () => {
    const r = rig();
    cleanup = r.stop;
    r.bridge.start();
    await vi.waitFor(() => expect(r.cmds.at(-1)?.x, 'driving before').toBeGreaterThan(0.05), EVENTUALLY);
    // A NaN resting potential behind every check (as a diverging model would make): the left sensor
    // neurons' state becomes NaN for good, and they never spike again.
    const pop = r.engine.circuit.populations.find((p) => p.name === 'sensor_left')!;
    (pop.params as Record<string, number>).v_rest = NaN;
    r.engine.backend.apply({ kind: 'set_params', population: 'sensor_left', params: {} }, r.engine.circuit);
    const at = performance.now();
    await vi.waitFor(() => {
      expect(r.errors.join('\n')).toMatch(/population sensor_left: neuron \d+ has v = NaN/);
      expect(r.cmds.filter((c) => c.at > at + 250).length).toBeGreaterThan(5);
    }, EVENTUALLY);
    expect(r.errors.join('\n')).toMatch(/population sensor_left: neuron \d+ has v = NaN/);
    expect(r.bridge.stats.errors).toBeGreaterThan(0);
    const after = r.cmds.filter((c) => c.at > at + 250);
    expect(after.length).toBeGreaterThan(5);
    expect(after.every((c) => c.x === 0)).toBe(true);
  });

  it('a loop below its real-time bound publishes safe values and says why', async () => {
    const r = rig({ minRealtimeFactor: 0.5 });
    cleanup = r.stop;
    r.bridge.start();
    await vi.waitFor(() => expect(r.cmds.at(-1)?.x).toBeGreaterThan(0.05), EVENTUALLY);
    expect(r.bridge.unsafeReason).toBeNull();
    // Every 5 ms tick now takes 12 ms: about 0.3x real time.
    const step = r.engine.step.bind(r.engine);
    r.engine.step = ((n: number) => {
      const end = performance.now() + 12;
      while (performance.now() < end);
      return step(n);
    }) as typeof r.engine.step;
    await vi.waitFor(() => expect(r.bridge.unsafeReason).toMatch(/runs at 0\.\d+x real time/), EVENTUALLY);
    const at = performance.now();
    await vi.waitFor(() => expect(r.cmds.filter((c) => c.at > at).length).toBeGreaterThan(3), EVENTUALLY);
    const slow = r.cmds.filter((c) => c.at > at);
    expect(slow.length).toBeGreaterThan(3);
    expect(slow.every((c) => c.x === 0)).toBe(true);
    // Fast again: driving again once the window has caught up.
    r.engine.step = step;
    await vi.waitFor(() => {
      expect(r.bridge.unsafeReason).toBeNull();
      expect(r.cmds.at(-1)!.x).toBeGreaterThan(0.05);
    }, EVENTUALLY);
    expect(r.bridge.unsafeReason).toBeNull();
    expect(r.cmds.at(-1)!.x).toBeGreaterThan(0.05);
  });

  it('holdSafe sends the safe value at once and keeps it until the loop has run on time for a watchdog period', async () => {
    const r = rig();
    cleanup = r.stop;
    r.bridge.start();
    await vi.waitFor(() => expect(r.cmds.at(-1)?.x).toBeGreaterThan(0.05), EVENTUALLY);
    const n = r.cmds.length;
    r.bridge.holdSafe('a structural live edit');
    // "At once": one turn of the event loop delivers it (not a wait for time).
    await sleep(0);
    expect(r.cmds.length).toBeGreaterThan(n);
    expect(r.cmds.at(-1)!.x).toBe(0);
    expect(r.bridge.unsafeReason).toBe('recovering from a stall (a structural live edit)');
    // Kept: held for a stretch of real time shorter than the watchdog period (the point of the check).
    await sleep(40);
    expect(r.cmds.at(-1)!.x, 'still held within the watchdog period').toBe(0);
    await vi.waitFor(() => {
      expect(r.bridge.unsafeReason).toBeNull();
      expect(r.cmds.at(-1)!.x).toBeGreaterThan(0.05);
    }, EVENTUALLY);
    expect(r.bridge.unsafeReason).toBeNull();
    expect(r.cmds.at(-1)!.x).toBeGreaterThan(0.05);
  });
});
