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
    expect(b.config.inputs.map((i) => [i.input, i.path, i.timeoutMs])).toEqual([
      ['range_left', 'ranges[200:290]', 200],
      ['range_right', 'ranges[70:160]', 200],
      ['range_front', 'ranges[150:210]', 200],
    ]);
    expect(b.config.inputs[0].encoder).toEqual({ kind: 'current', min: 1, max: 0.15, currentMin: 0, currentMax: 1 });
    expect(b.config.outputs[0].rateHz).toBe(50);
    const transport = new MemoryTransport();
    const engine = new Engine<Backend>(loadFlat(b.circuitFile));
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
    expect(Object.keys(byPath).sort()).toEqual(
      [
        '/inputs/drive/path',
        '/inputs/nothere',
        '/outputs/cmd/values/linear.q',
        '/outputs/cmd/values/linear.q/terms/0/population',
        '/tick',
      ].sort(),
    );
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
    expect(() => loadBridge(join(dir, 'bridge.yaml'))).toThrow(
      /bridge\.yaml:2 at \/ticks: unknown property "ticks"; expected one of \$schema, circuit, tick, watchdog, devices, spikes, extensions, inputs, outputs/,
    );
    expect(() => loadBridge(join(dir, 'bridge.yaml'))).toThrow(/at \/outputs\/o: must have required property 'rate'/);
  });
});

describe('safety values of bridge documents are checked (issue 16, D7)', () => {
  const CIRCUIT = 'populations:\n  n: { model: lif, size: 4 }\ninputs:\n  drive: { target: n, mode: current }\n';
  const doc = (
    o: { tick?: string; watchdog?: string; timeout?: string; rate?: string; limits?: string; tau?: string; spikes?: string } = {},
  ) =>
    [
      'circuit: circuit.yaml',
      `tick: ${o.tick ?? '1 kHz'}`,
      `watchdog: ${o.watchdog ?? '50 ms'}`,
      'inputs:',
      `  drive: { topic: /range, type: sensor_msgs/msg/Range, path: range, timeout: ${o.timeout ?? '200 ms'}, encoder: { current: { min: 0, max: 1, current_max: 1 } } }`,
      'outputs:',
      '  cmd:',
      '    topic: /cmd_vel',
      '    type: geometry_msgs/msg/Twist',
      `    rate: ${o.rate ?? '50 Hz'}`,
      '    values:',
      `      linear.x: { terms: [{ population: n, decoder: { rate: { tau: ${o.tau ?? '100 ms'}, rate_max: 100 Hz, min: 0, max: 1 } } }], limits: ${o.limits ?? '{ min: -1, max: 1, slew_rate: 2, safe: 0 }'} }`,
      '',
    ].join('\n');
  const LIMITS = '/outputs/cmd/values/linear.x/limits';

  /** Loads the document and expects exactly one issue at `path`, with a line, whose message matches. */
  function refused(text: string, path: string, message: RegExp): void {
    const dir = writeFiles({ 'circuit.yaml': CIRCUIT, 'bridge.yaml': text });
    let err: unknown;
    try {
      loadBridge(join(dir, 'bridge.yaml'));
    } catch (e) {
      err = e;
    }
    expect(err, text).toBeInstanceOf(CircuitError);
    const issues = (err as CircuitError).issues;
    expect(
      issues.map((i) => i.path),
      text,
    ).toEqual([path]);
    expect(issues[0].file).toBe(join(dir, 'bridge.yaml'));
    expect(issues[0].line).toBeGreaterThan(0);
    expect(issues[0].message).toMatch(message);
  }

  it('the document the cases start from loads', () => {
    const dir = writeFiles({ 'circuit.yaml': CIRCUIT, 'bridge.yaml': doc() });
    const b = loadBridge(join(dir, 'bridge.yaml'));
    expect(b.config.watchdogMs).toBe(50);
    expect(b.config.outputs[0].values[0].limits).toEqual({ min: -1, max: 1, slewRate: 2, safe: 0 });
  });

  it('watchdog: "1e400 ms" (which disabled the watchdog), 0, negative or over 10 s is refused', () => {
    refused(doc({ watchdog: '1e400 ms' }), '/watchdog', /finite/);
    refused(doc({ watchdog: '0 ms' }), '/watchdog', /> 0/);
    refused(doc({ watchdog: '-5 ms' }), '/watchdog', /> 0/);
    refused(doc({ watchdog: '1e-320' }), '/watchdog', /./);
    refused(doc({ watchdog: '11 s' }), '/watchdog', /at most 10000 ms/);
    refused(doc({ watchdog: '.nan' }), '/watchdog', /finite/);
  });

  it('an input timeout of 1e400 ms (which disabled staleness), 0 or over an hour is refused', () => {
    refused(doc({ timeout: '1e400 ms' }), '/inputs/drive/timeout', /finite/);
    refused(doc({ timeout: '0 ms' }), '/inputs/drive/timeout', /> 0/);
    refused(doc({ timeout: '7200 s' }), '/inputs/drive/timeout', /at most 3600000 ms/);
  });

  it('tick: "1e400 Hz", 0 Hz, below 1 Hz or above 10 kHz is refused', () => {
    refused(doc({ tick: '1e400 Hz' }), '/tick', /finite/);
    refused(doc({ tick: '0 Hz' }), '/tick', /./);
    refused(doc({ tick: '0.5 Hz' }), '/tick', /at least 1 Hz/);
    refused(doc({ tick: '1 MHz' }), '/tick', /at most 10000 Hz/);
  });

  it('an output rate that is not finite, or outside 1 Hz .. 10 kHz, is refused', () => {
    refused(doc({ rate: '1e400 Hz' }), '/outputs/cmd/rate', /finite/);
    refused(doc({ rate: '0 Hz' }), '/outputs/cmd/rate', /./);
    refused(doc({ rate: '20 kHz' }), '/outputs/cmd/rate', /at most 10000 Hz/);
  });

  it('limits: safe .nan, a safe value outside [min, max], min > max and a slew rate <= 0 are refused', () => {
    refused(doc({ limits: '{ min: -1, max: 1, safe: .nan }' }), `${LIMITS}/safe`, /finite/);
    refused(doc({ limits: '{ min: -1, max: 1, safe: 5 }' }), `${LIMITS}/safe`, /outside \[-1, 1\]/);
    refused(doc({ limits: '{ min: 0.1, max: 1, safe: 0 }' }), `${LIMITS}/safe`, /outside \[0.1, 1\]/);
    refused(doc({ limits: '{ max: 1, safe: 2 }' }), `${LIMITS}/safe`, /outside/);
    refused(doc({ limits: '{ min: 1, max: -1 }' }), LIMITS, /min \(1\) is above max \(-1\)/);
    refused(doc({ limits: '{ min: -.inf, max: 1 }' }), `${LIMITS}/min`, /finite/);
    refused(doc({ limits: '{ min: -1, max: 1, slew_rate: 0 }' }), `${LIMITS}/slew_rate`, /> 0/);
    refused(doc({ limits: '{ min: -1, max: 1, slew_rate: 1e400 }' }), `${LIMITS}/slew_rate`, /finite/);
  });

  it('a decoder time constant must be positive and plausible', () => {
    refused(doc({ tau: '1e-320 ms' }), '/outputs/cmd/values/linear.x/terms/0/decoder/rate/tau', /too small/);
    refused(doc({ tau: '1e400 ms' }), '/outputs/cmd/values/linear.x/terms/0/decoder/rate/tau', /finite/);
  });

  it('a device name is looked up as an own property: device: constructor names no device', () => {
    const text = doc().replace(
      '  drive: { topic: /range, type: sensor_msgs/msg/Range, path: range,',
      '  drive: { device: constructor, field: range,',
    );
    refused(text, '/inputs/drive/device', /no device "constructor"/);
  });
});
