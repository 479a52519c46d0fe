// Bridge documents: the example loads and drives the robot; a broken one reports every problem with
// file, line and JSON path, like a broken circuit.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { loadBridge } from '../bridge/config.js';
import { RemapTransport } from '../bridge/transport/remap.js';
import { expandTopic } from '../bridge/node/rosargs.js';
import { Bridge } from '../bridge/bridge.js';
import { MemoryTransport } from '../bridge/transport/memory.js';
import { createCodec } from '../bridge/codec/cdr.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { Engine } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { ROOT, writeFiles } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('bridge documents', () => {
  it('examples/bridges/braitenberg.yaml loads, converts its units and drives the circuit', async () => {
    const b = loadBridge(join(ROOT, 'examples/bridges/braitenberg.yaml'));
    expect(b.config.tickHz).toBe(1000);
    expect(b.config.watchdogMs).toBe(50);
    expect(b.config.inputs.map((i) => [i.input, i.path, i.timeoutMs])).toEqual([['range_left', 'ranges[200:290]', 200], ['range_right', 'ranges[70:160]', 200], ['range_front', 'ranges[150:210]', 200]]);
    expect(b.config.inputs[0].encoder).toEqual({ kind: 'current', min: 1, max: 0.15, currentMin: 0, currentMax: 1 });
    expect(b.config.outputs[0].rateHz).toBe(50);
    const transport = new MemoryTransport();
    const engine = new Engine(loadFlat(b.circuitFile)) as unknown as Engine<Backend>;
    // Its topics are relative: resolved as for a node in the root namespace (scan -> /scan).
    const bridge = new Bridge(engine, new RemapTransport(transport, (t) => expandTopic(t, 'flux', '/')), b.config);
    const scan = createCodec('sensor_msgs/msg/LaserScan');
    const twist = createCodec('geometry_msgs/msg/Twist');
    const got: { x: number; z: number }[] = [];
    transport.subscribe('/cmd_vel', 'geometry_msgs/msg/Twist', { reliability: 'reliable', durability: 'volatile', depth: 10 }, (m) => {
      const t = twist.decode(m) as { linear: { x: number }; angular: { z: number } };
      got.push({ x: t.linear.x, z: t.angular.z });
    });
    const pub = transport.advertise('/scan', 'sensor_msgs/msg/LaserScan', { reliability: 'best_effort', durability: 'volatile', depth: 5 });
    const m = scan.zero();
    m.ranges = Array.from({ length: 360 }, (_, i) => (i < 215 ? 5 : 0.3)); // obstacle on the left, none ahead
    bridge.start();
    for (let t = 0; t < 60; t++) {
      pub.publish(scan.encode(m));
      await sleep(20);
    }
    await bridge.stop();
    await sleep(20);
    const driving = got.slice(-5, -1);
    expect(driving.every((c) => c.x > 0.05 && c.z < -0.05)).toBe(true);
    expect(got.at(-1)).toEqual({ x: 0, z: 0 });
  });

  it('a broken bridge document lists every problem with file, line and path', () => {
    const dir = writeFiles({
      'circuit.yaml': 'populations:\n  n: { model: lif, size: 4 }\ninputs:\n  drive: { target: n, mode: current }\n',
      'bridge.yaml': [
        'circuit: circuit.yaml',
        'tick: 1 kV',
        'inputs:',
        '  drive: { topic: /scan, type: sensor_msgs/msg/LaserScan, path: "ranges[0:10].x", encoder: { current: { min: 0, max: 1, current_max: 1 } } }',
        '  nothere: { topic: /range, type: sensor_msgs/msg/Range, path: range, encoder: { current: { min: 0, max: 1, current_max: 1 } } }',
        'outputs:',
        '  cmd:',
        '    topic: /cmd_vel',
        '    type: geometry_msgs/msg/Twist',
        '    rate: 50 Hz',
        '    values:',
        '      linear.q: { terms: [{ population: motors, decoder: { rate: { tau: 100 ms, rate_max: 100 Hz, min: 0, max: 1 } } }] }',
        '',
      ].join('\n'),
    });
    let err: CircuitError | null = null;
    try {
      loadBridge(join(dir, 'bridge.yaml'));
    } catch (e) {
      err = e as CircuitError;
    }
    expect(err).toBeInstanceOf(CircuitError);
    const byPath = Object.fromEntries(err!.issues.map((i) => [i.path, i]));
    expect(Object.keys(byPath).sort()).toEqual(['/inputs/drive/path', '/inputs/nothere', '/outputs/cmd/values/linear.q', '/outputs/cmd/values/linear.q/terms/0/population', '/tick'].sort());
    expect(byPath['/tick'].message).toMatch(/rate/);
    expect(byPath['/tick'].line).toBe(2);
    expect(byPath['/inputs/nothere'].message).toMatch(/no input "nothere"; it has drive/);
    expect(byPath['/inputs/nothere'].line).toBe(5);
    expect(byPath['/inputs/drive/path'].message).toMatch(/"x" follows a float32, which has no fields/);
    expect(byPath['/outputs/cmd/values/linear.q'].message).toMatch(/no field "q"/);
    expect(byPath['/outputs/cmd/values/linear.q/terms/0/population'].message).toMatch(/no population "motors"/);
    expect(err!.message).toMatch(/bridge\.yaml:2 at \/tick/);
  });

  it('shape errors come from the schema, with the unknown property named', () => {
    const dir = writeFiles({
      'circuit.yaml': 'populations:\n  n: { model: lif, size: 4 }\n',
      'bridge.yaml': 'circuit: circuit.yaml\nticks: 5\noutputs:\n  o: { topic: /x, type: std_msgs/msg/Float32MultiArray, values: {} }\n',
    });
    expect(() => loadBridge(join(dir, 'bridge.yaml'))).toThrow(/bridge\.yaml:2 at \/ticks: unknown property "ticks"; expected one of \$schema, circuit, tick, watchdog, devices, spikes, extensions, inputs, outputs/);
    expect(() => loadBridge(join(dir, 'bridge.yaml'))).toThrow(/at \/outputs\/o: must have required property 'rate'/);
  });
});
