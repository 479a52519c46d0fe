// Regressions found by review: each test failed before its fix.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { Engine } from '../engine/engine.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { loadCircuit } from '../engine/engine.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { writeFiles, libraryCircuit } from './helpers.js';

// The CPU backend's private state these regressions reach into. Bracket access is TypeScript's way to
// read a private member: still type-checked, so a renamed field fails here rather than passing silently.
const kernelThread = (e: Engine) => e.backend['thread'];
const arenaBytes = (e: Engine) => e.backend['arena']!.memory.buffer.byteLength;

function both(text: string, run: (e: Engine) => unknown, threads = 1) {
  const dir = writeFiles({ 'c.yaml': text });
  const out = (['js', 'wasm'] as const).map((kernels) => {
    const e = new Engine(loadFlat(join(dir, 'c.yaml')), { kernels, threads: kernels === 'js' ? 1 : threads });
    e.backend.configureRecording({});
    const r = run(e);
    e.backend.dispose();
    return r;
  });
  return { js: out[0], wasm: out[1] };
}

describe('engine regressions', () => {
  it('per-synapse delays that all round to zero steps run on every kernel', () => {
    const text = `dt: 0.1 ms
populations:
  a: { model: poisson, size: 50, params: { rate: 200 Hz } }
  b: { model: lif, size: 300 }
projections:
  p: { source: a, target: b, connectivity: { type: all_to_all }, weight: 1 nS, delay: { uniform: { low: 0 ms, high: 0.04 ms } }, synapse: { type: conductance, receptor: excitatory } }
`;
    const r = both(
      text,
      (e) => {
        e.step(200);
        return Array.from(e.backend.readState('b', 'ge'));
      },
      2,
    );
    expect((r.js as number[]).some((x) => x > 0)).toBe(true);
    expect(r.wasm).toEqual(r.js);
  });

  it('events still queued when their current projection is removed are delivered alike by both kernels', () => {
    const text = `dt: 0.1 ms
populations:
  a: { model: poisson, size: 40, params: { rate: 100 Hz } }
  b: { model: lif, size: 30 }
projections:
  p: { source: a, target: b, connectivity: { type: all_to_all }, weight: 150 pA, delay: 40 ms, synapse: { type: current, receptor: excitatory } }
`;
    const r = both(text, (e) => {
      e.step(300); // 30 ms: events queued, nothing delivered yet
      const before = Array.from(e.backend.readState('b', 'ie'));
      e.apply({ op: 'remove_projection', name: 'p' });
      e.step(1000);
      return { before, ie: Array.from(e.backend.readState('b', 'ie')), spikes: e.backend.recording().populations.b.spikeSteps.length };
    });
    const js = r.js as { before: number[]; spikes: number };
    expect(js.before.every((x) => x === 0)).toBe(true);
    expect(js.spikes).toBeGreaterThan(0);
    expect(r.wasm).toEqual(r.js);
  });

  it('per-synapse delays keep working past step 2^31', () => {
    const text = `dt: 0.1 ms
populations:
  a: { model: poisson, size: 40, params: { rate: 300 Hz } }
  b: { model: lif, size: 20 }
projections:
  p: { source: a, target: b, connectivity: { type: all_to_all }, weight: 2 nS, delay: { uniform: { low: 0.1 ms, high: 3 ms } }, synapse: { type: conductance, receptor: excitatory } }
`;
    const r = both(text, (e) => {
      e.backend.stepIndex = 2 ** 31 - 20;
      e.backend.configureRecording({});
      e.step(100);
      return Array.from(e.backend.readState('b', 'ge'));
    });
    expect((r.js as number[]).some((x) => x > 0)).toBe(true);
    expect(r.wasm).toEqual(r.js);
  });

  it('the hand-over counter of the kernel thread wraps at 2^31 without stalling', () => {
    const e = Engine.fromFile(join(__dirname, '..', 'examples', 'coba.yaml'), { threads: 2 });
    const t = kernelThread(e)!;
    t['seq'] = 2 ** 31 - 3;
    const started = Date.now();
    // One hand-over per call at least (a call of many steps may be one lockstep batch).
    for (let i = 0; i < 10; i++) e.step(1);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(t['seq']).toBeLessThan(0);
    e.backend.dispose();
  });

  it('a delay longer than the rings allow is a circuit error, and a failed edit leaves the network running', () => {
    const dir = writeFiles({
      'c.yaml':
        'dt: 0.1 ms\npopulations:\n  a: { model: lif, size: 5 }\n  b: { model: lif, size: 5 }\nprojections:\n  p: { source: a, target: b, connectivity: { type: all_to_all }, weight: 1 nS, delay: 1000 s, synapse: { type: conductance, receptor: excitatory } }\n',
    });
    expect(() => loadCircuit(join(dir, 'c.yaml'))).toThrow(/at most 65535 steps/);
    const e = Engine.fromFile(libraryCircuit('braitenberg/braitenberg'));
    e.step(10);
    const bad = {
      source: 'sensor_left',
      target: 'motor_left',
      connectivity: { type: 'all_to_all' as const },
      weight: '1 nS',
      delay: { normal: { mean: '1e6 ms', sd: '1 ms' } },
      synapse: { type: 'conductance' as const, receptor: 'excitatory' as const },
    };
    expect(() => e.apply({ op: 'add_projection', name: 'far', projection: bad })).toThrow(CircuitError);
    expect(e.circuit.projections.map((p) => p.name)).not.toContain('far');
    expect(() => e.backend.readWeights('far')).toThrow();
    e.step(10);
    expect(e.backend.stepIndex).toBe(20);
  });

  it('no kernel thread is started when no population is large enough to split', () => {
    const pops = Array.from({ length: 12 }, (_, i) => `  p${i}: { model: lif, size: 200 }`).join('\n');
    const dir = writeFiles({ 'c.yaml': `populations:\n${pops}\n` });
    const e = Engine.fromFile(join(dir, 'c.yaml'));
    expect(e.backend.threadCount).toBe(1);
    expect(kernelThread(e)).toBeNull();
    const big = Engine.fromFile(join(__dirname, '..', 'examples', 'coba.yaml'), { threads: 2 });
    expect(big.backend.threadCount).toBe(2);
    big.backend.dispose();
  });

  it('memory of removed populations and projections is reused', () => {
    const e = Engine.fromFile(libraryCircuit('braitenberg/braitenberg'), { kernels: 'wasm' });
    const cycle = (k: number) => {
      e.apply({ op: 'add_population', name: `tmp${k}`, population: { model: 'lif', size: 3000 } });
      e.apply({
        op: 'add_projection',
        name: `tp${k}`,
        projection: {
          source: 'motor_left',
          target: `tmp${k}`,
          connectivity: { type: 'all_to_all' },
          weight: '1 nS',
          delay: '2 ms',
          synapse: { type: 'conductance', receptor: 'excitatory' },
        },
      });
      e.step(5);
      e.apply({ op: 'remove_population', name: `tmp${k}`, cascade: true });
    };
    cycle(0);
    const after1 = arenaBytes(e);
    for (let k = 1; k < 20; k++) cycle(k);
    expect(arenaBytes(e)).toBe(after1);
  });

  it('cascade removal keeps modulators and removes only their entries about the removed population', () => {
    const dir = writeFiles({
      'c.yaml': `populations:
  a: { model: lif, size: 5 }
  b: { model: lif, size: 5 }
  c: { model: lif, size: 5 }
projections:
  ab: { source: a, target: b, connectivity: { type: all_to_all }, weight: 1 nS, synapse: { type: conductance, receptor: excitatory } }
  cb: { source: c, target: b, connectivity: { type: all_to_all }, weight: 1 nS, synapse: { type: conductance, receptor: excitatory }, plasticity: { rule: reward_stdp, w_max: 2 nS, modulator: da } }
modulators:
  da: { tau: 100 ms, sources: [{ population: a }, { constant: 0.1 }], targets: [{ population: b, effect: gain }, { projection: ab, effect: learning_rate }] }
`,
    });
    const e = Engine.fromFile(join(dir, 'c.yaml'));
    const r = e.apply({ op: 'remove_population', name: 'a', cascade: true });
    expect(r.removed).toContain('projections.ab');
    const da = e.circuit.modulators.find((m) => m.name === 'da')!;
    expect(da.sources).toEqual([{ kind: 'constant', value: 0.1 }]);
    expect(da.targets.map((t) => t.population ?? t.projection)).toEqual(['b']);
    expect(e.circuit.projections.map((p) => p.name)).toEqual(['cb']);
    e.step(10);
  });

  it('an invalid set_param names the live edit, not the circuit file', () => {
    const e = Engine.fromFile(join(__dirname, '..', 'examples', 'coba.yaml'), { threads: 1 });
    try {
      e.apply({ op: 'set_param', population: 'exc', param: 'tau_m', value: '3 mV' });
      expect.unreachable();
    } catch (err) {
      expect((err as CircuitError).issues[0]).toMatchObject({ file: '<live edit>', path: '/populations/exc/params/tau_m' });
    }
  });

  it('a YAML alias bomb is a circuit error, not a crash', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
    ].join('\n');
    const dir = writeFiles({ 'bomb.yaml': bomb });
    expect(() => loadCircuit(join(dir, 'bomb.yaml'))).toThrow(/cannot expand the document/);
  });

  it('the current-only LIF kernel (exact propagator) matches the TypeScript model bit for bit', () => {
    const text = `dt: 0.1 ms
seed: 2
populations:
  d: { model: poisson, size: 60, params: { rate: 60 Hz } }
  n: { model: lif, size: 301 }
projections:
  e: { source: d, target: n, connectivity: { type: fixed_probability, p: 0.5 }, weight: 120 pA, synapse: { type: current, receptor: excitatory } }
  i: { source: d, target: n, connectivity: { type: fixed_probability, p: 0.2 }, weight: 80 pA, delay: 1 ms, synapse: { type: current, receptor: inhibitory } }
sources:
  bias: { type: constant, target: n, amplitude: 250 pA }
`;
    const r = both(
      text,
      (e) => {
        e.step(3000);
        return { v: Array.from(e.backend.readState('n', 'v')), s: e.backend.recording().populations.n.spikeSteps };
      },
      2,
    );
    expect((r.js as { s: number[] }).s.length).toBeGreaterThan(100);
    expect(r.wasm).toEqual(r.js);
  });

  it('set_weights keeps plastic weights within their bounds', () => {
    const e = Engine.fromFile(join(__dirname, '..', 'examples', 'stdp-pairing.yaml'));
    expect(() => e.apply({ op: 'set_weights', projection: 'syn', value: '150 pA' })).toThrow(/outside the plasticity bounds \[0, 100\]/);
    e.apply({ op: 'set_weights', projection: 'syn', value: '80 pA' });
    expect(e.backend.readWeights('syn')[0]).toBe(80);
  });
});
