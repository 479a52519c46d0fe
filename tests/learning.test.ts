// Learning in the loop: examples/braitenberg-learning.yaml drives the simulated robot in the cluttered
// arena while sim/reward.ts publishes a reward (forward progress without collision, as a prediction
// error) that gates the circuit's reward-modulated STDP. The protocol, per arena seed:
//   1. before: the naive circuit drives for 45 s from the arena's start, no reward (nothing is learned);
//   2. training: the same run goes on for 60 s with the reward published;
//   3. after: the learned sensor->turn weights are copied into a fresh loop, which drives for 45 s from
//      the same start, no reward (learning is off, the weights are frozen).
// Before and after are the same situation with different weights, so the comparison is paired.
// Score = distance driven in the 45 s (m) - 1 m per collision. Each seed must improve, with at most one
// collision after training and fewer than before, and the mean improvement must exceed 4 m. The control
// runs the same protocol with learning_rate 0 (a temp circuit extending the example): its weights cannot
// change, so neither may its score. Measured here (score before -> after): seed 1: -9.92 -> 6.31 (15
// collisions -> 0), seed 2: -4.63 -> 6.43 (10 -> 0), seed 3: 4.70 -> 6.62 (2 -> 0), mean gain 9.7 m.
// With learning_rate 0 the score stays the same to the bit (measured on seeds 1-8; the test runs the
// control on seed 1 only, to keep the file under a minute). Seeds 4-8 (not run here) go from 4-13
// collisions to 0 after training as well.
import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClosedLoop, pathLength } from '../sim/loop.js';
import { ProgressReward, type RewardSample } from '../sim/reward.js';
import { Simulation } from '../sim/simulation.js';
import { MemoryGraph, MemoryTransport } from '../bridge/transport/memory.js';
import { createCodec } from '../bridge/codec/cdr.js';
import { DEFAULT_QOS } from '../bridge/transport/transport.js';
import { example, tempDir } from './helpers.js';

const BRIDGE = example('bridges/braitenberg-learning.yaml');
const CIRCUIT = example('braitenberg-learning.yaml');
const PLASTIC = ['sensor_turn_left', 'sensor_turn_right'];
const BEFORE = 45;
const TRAIN = 60;
const AFTER = 45;
/** Metres of score one collision costs. */
const PENALTY = 1;
/** The mean improvement over the seeds must reach this (m); each seed must improve. */
const MARGIN = 4;
const INITIAL_WEIGHT = 3;

interface Window {
  distance: number;
  collisions: number;
  score: number;
}

interface Outcome {
  before: Window;
  after: Window;
  /** Mean weight of each plastic projection after training (pA). */
  meanWeight: Record<string, number>;
  changed: number;
}

function windowOf(loop: ClosedLoop, from: number, to: number): Window {
  const trail = loop.sim.trail().filter((p) => p.time >= from - 1e-9 && p.time <= to + 1e-9);
  const distance = pathLength(trail);
  const collisions = loop.sim.collisionEvents().filter((c) => c.time >= from && c.time < to).length;
  return { distance, collisions, score: distance - PENALTY * collisions };
}

/** A copy of the example with every plastic projection's learning rate replaced. */
function withLearningRate(rate: number): string {
  const file = join(tempDir('flux-learning-'), 'circuit.yaml');
  const plasticity = { plasticity: { learning_rate: rate } };
  writeFileSync(file, JSON.stringify({ extends: CIRCUIT, projections: Object.fromEntries(PLASTIC.map((p) => [p, plasticity])) }));
  return file;
}

async function experiment(seed: number, circuit?: string): Promise<Outcome> {
  const open = () =>
    ClosedLoop.create({
      bridge: BRIDGE,
      arena: 'cluttered',
      seed,
      backend: 'cpu',
      threads: 1,
      log: () => undefined,
      rosArgs: circuit ? ['--ros-args', '-p', `circuit:=${circuit}`] : undefined,
    });
  const trained: Record<string, number[]> = {};
  let before: Window;
  const training = await open();
  try {
    await training.runFor(BEFORE);
    before = windowOf(training, 0, BEFORE);
    const reward = new ProgressReward(training.graph);
    try {
      await training.runFor(TRAIN);
    } finally {
      reward.close();
    }
    for (const p of PLASTIC) trained[p] = Array.from(await training.node.engine.backend.readWeights(p));
  } finally {
    await training.close();
  }
  const evaluation = await open();
  try {
    for (const p of PLASTIC)
      evaluation.node.engine.apply({ op: 'set_weights', projection: p, indices: trained[p].map((_, i) => i), values: trained[p] });
    await evaluation.runFor(AFTER);
    const after = windowOf(evaluation, 0, AFTER);
    const all = PLASTIC.flatMap((p) => trained[p]);
    return {
      before,
      after,
      meanWeight: Object.fromEntries(PLASTIC.map((p) => [p, trained[p].reduce((a, w) => a + w, 0) / trained[p].length])),
      changed: all.filter((w) => Math.abs(w - INITIAL_WEIGHT) > 1e-4).length,
    };
  } finally {
    await evaluation.close();
  }
}

describe('ProgressReward: forward progress without collision, on simulated time', () => {
  it('rewards driving, penalizes closing in on a wall and touching it, and publishes the prediction error at 20 Hz of simulated time', async () => {
    // Straight at the default arena's east wall at 0.3 m/s: free, closing in, then pinned (wheels slipping).
    const graph = new MemoryGraph();
    const sim = await Simulation.create('default', { transport: graph, cmdVel: { timeout: Infinity } });
    const samples: RewardSample[] = [];
    const published: number[] = [];
    const codec = createCodec('std_msgs/msg/Float32');
    const listener = new MemoryTransport(graph);
    listener.subscribe('/reward', codec.type, DEFAULT_QOS, (b) => published.push(codec.decode(b).data as number));
    const reward = new ProgressReward(graph, { onSample: (x) => samples.push(x) });
    try {
      sim.command(0.3, 0);
      await sim.runFor(8);
      await new Promise((r) => setImmediate(r));
      expect(samples.length).toBeGreaterThanOrEqual(159);
      expect(samples.length).toBeLessThanOrEqual(161);
      // What goes out is the reward less its running mean.
      expect(published).toHaveLength(samples.length);
      samples.forEach((x, i) => expect(published[i]).toBeCloseTo(x.reward - x.baseline, 5));
      const at = (t: number) => samples.find((x) => x.time >= t)!;
      // Free: full progress, nothing near.
      expect(at(1).progress).toBeCloseTo(1, 1);
      expect(at(1).danger).toBe(0);
      // Closing in (the wall is 2 m ahead of the start; danger counts from 0.6 m): danger rises.
      expect(at(5).approach).toBeGreaterThan(0.3);
      expect(at(5).value).toBeLessThan(0);
      expect(at(5).contact).toBe(0);
      // Pinned: odometry still reports speed, but touching counts as no progress.
      expect(sim.collisions).toBeGreaterThan(0);
      expect(at(7).contact).toBe(1);
      expect(at(7).progress).toBe(0);
      expect(at(7).reward).toBeLessThan(-1);
      expect(reward.mean).toBeLessThan(at(1).reward);
    } finally {
      reward.close();
      await listener.close();
      sim.close();
    }
  });
});

describe('learning in the loop: reward-modulated STDP learns obstacle avoidance on the simulated robot', () => {
  const runs = new Map<number, Outcome>();

  for (const seed of [1, 2, 3]) {
    it(`cluttered arena, seed ${seed}: the score after ${TRAIN} s of training beats the naive circuit's`, async () => {
      const r = await experiment(seed);
      runs.set(seed, r);
      // It learned through the plastic synapses: some turn is now driven well above the initial weight.
      expect(Math.max(...Object.values(r.meanWeight))).toBeGreaterThan(2 * INITIAL_WEIGHT);
      expect(r.after.score).toBeGreaterThan(r.before.score);
      expect(r.after.collisions).toBeLessThanOrEqual(1);
      expect(r.after.collisions).toBeLessThan(r.before.collisions);
    }, 180_000);
  }

  it(`improves the score by more than ${MARGIN} m on average over the seeds`, () => {
    expect(runs.size).toBe(3);
    const gains = [...runs.values()].map((r) => r.after.score - r.before.score);
    expect(gains.reduce((a, g) => a + g, 0) / gains.length).toBeGreaterThan(MARGIN);
  });

  // One seed for the control keeps the file near a minute: with identical weights the evaluation run
  // repeats the naive one bit for bit, so every seed would give the same answer.
  it('control: the same protocol with learning_rate 0 learns nothing and does not improve (seed 1)', async () => {
    const r = await experiment(1, withLearningRate(0));
    expect(r.changed).toBe(0);
    const learned = runs.get(1);
    // The naive phase is the same run as the learning circuit's (no reward yet, so nothing differs).
    if (learned) expect(r.before).toEqual(learned.before);
    expect(r.after.score - r.before.score).toBeLessThan(MARGIN);
    expect(Math.abs(r.after.score - r.before.score)).toBeLessThan(0.5);
    expect(r.after.collisions).toBeGreaterThan(1);
  }, 180_000);
});
