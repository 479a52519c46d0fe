// Devices in bridge documents: a serial device (over a socat pseudo-terminal, the test playing the
// device) feeds the Braitenberg circuit through the bridge's encoders and takes its commands through
// the decoders, limits and safe values, as a topic would.
import { describe, it, expect, afterEach } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FluxNode } from '../bridge/node/node.js';
import { loadBridge } from '../bridge/config.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { ROOT, libraryCircuit } from './helpers.js';
import { ptyPair } from './fixtures/pty.js';
import { requires } from './requirements.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const haveSocat = spawnSync('socat', ['-V']).status === 0;
if (!haveSocat && process.env.CI !== 'true') requires('socat', 'socat not found');

function bridgeDoc(dir: string, port: string): string {
  const file = join(dir, 'bridge.yaml');
  writeFileSync(
    file,
    [
      `circuit: ${libraryCircuit('braitenberg/braitenberg')}`,
      'tick: 200 Hz',
      'devices:',
      '  ranger:',
      '    serial:',
      `      path: ${port}`,
      '      baudRate: 115200',
      '      framing: { kind: lines }',
      '      inputs: [{ name: left, key: left }, { name: right, key: right }, { name: front, key: front }]',
      '      output: { template: "M {v} {w}", precision: 3, maxRateHz: 50, safe: { v: 0, w: 0 } }',
      'inputs:',
      '  range_left:  { device: ranger, field: left,  encoder: { current: { min: 1.0, max: 0.15, current_max: 1 } }, timeout: 300 ms, valid: [0, 100] }',
      '  range_right: { device: ranger, field: right, encoder: { current: { min: 1.0, max: 0.15, current_max: 1 } }, timeout: 300 ms, valid: [0, 100] }',
      '  range_front: { device: ranger, field: front, encoder: { current: { min: 0.8, max: 0.2, current_max: 1 } }, timeout: 300 ms, valid: [0, 100] }',
      'outputs:',
      '  drive:',
      '    device: ranger',
      '    rate: 20 Hz',
      '    values:',
      '      v: { terms: [{ population: motor_left, decoder: { rate: { tau: 100 ms, rate_max: 100 Hz, min: 0, max: 1 } }, weight: 0.5 }, { population: motor_right, decoder: { rate: { tau: 100 ms, rate_max: 100 Hz, min: 0, max: 1 } }, weight: 0.5 }], limits: { min: 0, max: 0.35, safe: 0 } }',
      '      w: { terms: [{ population: motor_right, decoder: { rate: { tau: 100 ms, rate_max: 100 Hz, min: 0, max: 1 } }, weight: 4 }, { population: motor_left, decoder: { rate: { tau: 100 ms, rate_max: 100 Hz, min: 0, max: 1 } }, weight: -4 }], limits: { min: -1.5, max: 1.5, safe: 0 } }',
    ].join('\n'),
  );
  return file;
}

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe('devices in bridge documents', () => {
  it('a document naming a device it does not declare is refused with the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flux-dev-'));
    const file = bridgeDoc(dir, '/dev/null');
    const text = readFileSync(file, 'utf8').replace('{ device: ranger, field: front', '{ device: sonar, field: front');
    writeFileSync(file, text);
    expect(() => loadBridge(file)).toThrow(CircuitError);
    expect(() => loadBridge(file)).toThrow(/at \/inputs\/range_front\/device: no device "sonar" in devices \(ranger\)/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('device declarations are checked by the schema: a mistake names its file, line and path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flux-dev-'));
    const file = bridgeDoc(dir, '/dev/null');
    const text = readFileSync(file, 'utf8')
      .replace('      baudRate: 115200', '      baudRate: 115200\n      parity: none')
      .replace('{ kind: lines }', '{ kind: lines, maxLength: 0 }');
    writeFileSync(file, text);
    let message = '';
    try {
      loadBridge(file);
    } catch (e) {
      message = (e as Error).message;
    }
    rmSync(dir, { recursive: true, force: true });
    expect(message).toMatch(/bridge\.yaml:\d+ at \/devices\/ranger\/serial\/parity: unknown property "parity"/);
    expect(message).toMatch(/at \/devices\/ranger\/serial\/framing/);
  });

  it("flux inspect lists a bridge document's devices and bindings, then its circuit", () => {
    const dir = mkdtempSync(join(tmpdir(), 'flux-dev-'));
    const r = spawnSync('node', [join(ROOT, 'bin/flux.js'), 'inspect', bridgeDoc(dir, '/dev/ttyUSB7')], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/device ranger: serial on \/dev\/ttyUSB7; inputs left, right, front; outputs v, w/);
    expect(r.stdout).toMatch(/in {2}range_front <- device ranger\.front, encoder current, stale after 300 ms/);
    expect(r.stdout).toMatch(/out drive -> device ranger at 20 Hz: v, w/);
    expect(r.stdout).toMatch(/circuit braitenberg/);
  });

  it.runIf(haveSocat || process.env.CI === 'true')(
    'a serial device drives the circuit and takes its commands; stopping sends the safe frame',
    async () => {
      expect(haveSocat, 'socat (Debian package) is needed; .ci/run installs it').toBe(true);
      const { dir, dev, peer, close } = await ptyPair('flux-dev-');
      cleanups.push(close);
      let text = '';
      peer.on('data', (d: Buffer) => (text += d.toString()));

      const node = await FluxNode.start({
        bridge: bridgeDoc(dir, dev),
        transport: 'memory',
        backend: 'cpu',
        threads: 1,
        log: () => undefined,
      });
      let stopped = false;
      cleanups.push(() => (stopped ? undefined : node.shutdown()));
      // The device reports an obstacle on the left, nothing ahead or to the right.
      const feed = setInterval(() => peer.write('left=0.3 right=3 front=3\n'), 20);
      cleanups.push(() => clearInterval(feed));
      await sleep(1200);
      const lines = text.split('\n').filter((l) => l.startsWith('M '));
      expect(lines.length).toBeGreaterThan(10);
      const [v, w] = lines.at(-1)!.split(' ').slice(1).map(Number);
      expect(v).toBeGreaterThan(0.05);
      expect(w).toBeLessThan(-0.05); // turning right, away from the left obstacle
      expect(node.bridge.stats.received).toBeGreaterThan(30);
      expect(node.bridge.staleInputs()).toEqual([]);
      // The dashboard's input/output view carries the device's state.
      expect(node.bridge.snapshot().devices).toEqual([{ name: 'ranger', status: expect.stringMatching(/^serial .* connected$/) }]);
      clearInterval(feed);
      await node.shutdown();
      stopped = true;
      await sleep(100);
      const last = text.trimEnd().split('\n').at(-1)!;
      expect(last.startsWith('M ')).toBe(true);
      expect(last.split(' ').slice(1).map(Number)).toEqual([0, 0]);
    },
    30_000,
  );
});
