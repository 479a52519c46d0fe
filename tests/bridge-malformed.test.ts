// Malformed messages through the bridge's input path (memory transport, Braitenberg circuit): a message
// whose field path does not fit (a LaserScan with fewer beams than the slice) is counted as malformed
// and dropped, so the input goes stale as for a silent sensor (issue 16, D8); a flood of samples is
// decoded at most once per input per turn of the event loop, newest first (D10).
import { describe, it, expect, afterEach } from 'vitest';
import { Engine } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { Bridge, type BridgeConfig } from '../bridge/bridge.js';
import { MemoryTransport } from '../bridge/transport/memory.js';
import { SENSOR_QOS } from '../bridge/transport/transport.js';
import { createCodec } from '../bridge/codec/cdr.js';
import { rosTopicIn } from '../bridge/io/ros-topic.js';
import type { IoContext } from '../bridge/io/context.js';
import { libraryCircuit } from './helpers.js';

const flush = () => new Promise<void>((r) => setImmediate(r));
const rate = { kind: 'rate' as const, tau: 100, rateMax: 100, min: 0, max: 1 };
const proximity = { kind: 'current' as const, min: 2, max: 0.2, currentMax: 1 };

function config(): BridgeConfig {
  return {
    tickHz: 200,
    watchdogMs: 100,
    inputs: [
      // A fixed slice of 360 beams, and the Braitenberg circuit's two halves of an 8-beam scan.
      {
        input: 'range_left',
        topic: '/scan',
        type: 'sensor_msgs/msg/LaserScan',
        path: 'ranges[0:360]',
        encoder: proximity,
        timeoutMs: 200,
        valid: [0, 30],
      },
      {
        input: 'range_right',
        topic: '/scan8',
        type: 'sensor_msgs/msg/LaserScan',
        path: 'ranges[4:8]',
        encoder: proximity,
        timeoutMs: 200,
        valid: [0, 30],
      },
    ],
    outputs: [
      {
        name: 'cmd',
        topic: '/cmd_vel',
        type: 'geometry_msgs/msg/Twist',
        rateHz: 50,
        values: [{ path: 'linear.x', terms: [{ population: 'motor_left', decoder: rate, weight: 1 }], limits: { min: 0, max: 0.5 } }],
      },
    ],
  };
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

function rig() {
  const transport = new MemoryTransport();
  const engine = new Engine<Backend>(loadFlat(libraryCircuit('braitenberg/braitenberg')));
  const bridge = new Bridge(engine, transport, config());
  const scan = createCodec('sensor_msgs/msg/LaserScan');
  const qos = { ...SENSOR_QOS, reliability: 'reliable' as const };
  const pubs = {
    '/scan': transport.advertise('/scan', 'sensor_msgs/msg/LaserScan', qos),
    '/scan8': transport.advertise('/scan8', 'sensor_msgs/msg/LaserScan', qos),
  };
  const send = (topic: keyof typeof pubs, beams: number) => {
    const m = scan.zero();
    m.ranges = Array.from({ length: beams }, () => 1);
    pubs[topic].publish(scan.encode(m));
  };
  const input = (name: string) => bridge.snapshot().inputs.find((i) => i.input === name)!;
  return { bridge, send, input };
}

describe('bridge input path: a message the field path does not fit is malformed (D8)', () => {
  it('a LaserScan with 0 or 100 beams for ranges[0:360] is counted malformed and dropped: the input stays stale', async () => {
    const r = rig();
    cleanup = () => r.bridge.stop();
    r.bridge.start();
    r.send('/scan', 0);
    r.send('/scan8', 0);
    await flush();
    await flush();
    r.send('/scan', 100);
    r.send('/scan8', 6);
    await flush();
    await flush();
    expect(r.bridge.stats.received).toBe(4);
    expect(r.bridge.stats.malformed).toBe(4);
    // Nothing reached the engine: no NaN (an empty slice), no silently shorter slice.
    expect(r.bridge.stats.nonFinite).toBe(0);
    for (const name of ['range_left', 'range_right']) expect(r.input(name).value, name).toBeNull();
    expect(r.bridge.staleInputs()).toEqual(['range_left', 'range_right']);
    // A scan that fits is taken as before.
    r.send('/scan', 360);
    r.send('/scan8', 8);
    await flush();
    await flush();
    expect(r.bridge.stats.malformed).toBe(4);
    expect(r.input('range_left').value).toEqual({ n: 360, min: 1, max: 1, mean: 1 });
    expect(r.input('range_right').value).toEqual({ n: 4, min: 1, max: 1, mean: 1 });
    expect(r.bridge.staleInputs()).toEqual([]);
  });
});

describe('input decoding is bounded per turn of the event loop (D10)', () => {
  it('a flood of samples in one turn costs a few decodes: the first four at once, then only the newest, in the next turn', async () => {
    const transport = new MemoryTransport();
    const counts: Record<string, number> = { received: 0, malformed: 0, superseded: 0 };
    const ctx: IoContext = {
      name: 'flood',
      dir: '.',
      log: () => undefined,
      transport,
      count: (what, n = 1) => {
        counts[what] = (counts[what] ?? 0) + n;
      },
    };
    const node = rosTopicIn.create({ topic: '/scan', type: 'sensor_msgs/msg/LaserScan', path: 'ranges[0]' }, ctx);
    const seen: unknown[] = [];
    const sub = node.outputs!.value.subscribe((v) => seen.push(v));
    const codec = createCodec('sensor_msgs/msg/LaserScan');
    const pub = transport.advertise('/scan', 'sensor_msgs/msg/LaserScan', SENSOR_QOS);
    for (let k = 0; k < 1000; k++) {
      const m = codec.zero();
      m.ranges = [k];
      // Every 10th sample but the last is malformed (truncated): counted only when decoded.
      const bytes = codec.encode(m);
      pub.publish(k % 10 === 9 && k !== 999 ? bytes.subarray(0, 30) : bytes);
    }
    await flush();
    await flush();
    await flush();
    sub.unsubscribe();
    const decodes = seen.length + counts.malformed;
    expect(counts.received).toBe(1000);
    expect(decodes).toBe(5);
    expect(seen).toEqual([0, 1, 2, 3, 999]);
    expect(counts.superseded).toBe(1000 - decodes);
  });
});
