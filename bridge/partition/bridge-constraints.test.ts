// What a bridge document asks of a partitioned run: the populations its bindings name, its tick in
// steps, and the refusals (devices, extensions, spike links of its own, a tick between steps).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBridge } from '../config.js';
import { boundPopulations, bridgeConstraints } from './bridge-constraints.js';

const dir = mkdtempSync(join(tmpdir(), 'flux-bridge-constraints-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  join(dir, 'c.yaml'),
  `dt: 0.5 ms
populations:
  s: { model: lif, size: 4 }
  m: { model: lif, size: 4 }
  x: { model: lif, size: 4 }
  relay: { model: poisson, size: 4, params: { rate: 0 Hz } }
projections:
  sx: { source: s, target: x, connectivity: { type: all_to_all }, weight: 1 nS, delay: 2 ms, synapse: { type: conductance, receptor: excitatory } }
inputs:
  range: { target: s, mode: current, gain: 1000 }
  unused: { target: x, mode: current }
  spikes_in: { target: relay, mode: rate }
`,
);

const OUTPUT = `outputs:
  cmd:
    topic: cmd_vel
    type: geometry_msgs/msg/Twist
    rate: 50 Hz
    values:
      linear.x: { terms: [{ population: m, decoder: { rate: { tau: 100 ms, rate_max: 100 Hz, min: 0, max: 1 } } }] }
`;
const INPUT = `inputs:
  range: { topic: scan, type: sensor_msgs/msg/LaserScan, path: 'ranges[0:4]', encoder: { current: { min: 1, max: 0, current_max: 1 } } }
`;

function bridge(text: string) {
  const file = join(dir, `b${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `circuit: ./c.yaml\n${text}`);
  return loadBridge(file);
}

describe('bridge constraints of a partitioned run', () => {
  it("names the bound inputs' targets and the outputs' populations (not the circuit's unbound ones), and the tick in steps", () => {
    const b = bridge(`tick: 500 Hz\n${INPUT}${OUTPUT}`);
    expect(boundPopulations(b).sort()).toEqual(['m', 's']);
    expect(bridgeConstraints(b)).toEqual({ tickSteps: 4, populations: ['s', 'm'] });
  });

  it('refuses a tick between steps, spike links of its own and extension nodes, naming the file', () => {
    expect(() => bridgeConstraints(bridge(`tick: 1500 Hz\n${OUTPUT}`))).toThrow(
      /tick: 0.666667 ms is not a whole number of the circuit's steps \(0.5 ms\)/,
    );
    expect(() => bridgeConstraints(bridge(`${OUTPUT}spikes:\n  receive:\n    spikes_in: { topic: /other/x }\n`))).toThrow(
      /b\w+\.yaml: the document has spike links of its own/,
    );
    expect(() => bridgeConstraints(bridge(`${OUTPUT}extensions:\n  nodes:\n    k: { type: constant, options: { value: 1 } }\n`))).toThrow(
      /extension modules and nodes do not run in a partitioned bridge yet/,
    );
  });
});
