// Three-factor learning in a running circuit (@flux-library/reward-learning): rewarding one action
// makes the cue's synapses onto it grow and that action win; without reward nothing is learned.
import { describe, it, expect } from 'vitest';
import { Engine } from '../engine/engine.js';
import { libraryCircuit } from './helpers.js';

function train(rewardLeft: boolean, seconds: number) {
  const e = Engine.fromFile(libraryCircuit('reward-learning/reward-learning'));
  e.backend.configureRecording({ spikes: ['left', 'right'] });
  const mean = (p: string) => e.backend.readWeights(p).reduce((a, b) => a + b, 0) / e.backend.readWeights(p).length;
  const before = { left: mean('cue_left'), right: mean('cue_right') };
  const count = (p: string) => e.backend.recording().populations[p].spikeSteps.length;
  const early = { left: 0, right: 0 };
  let leftWonEarly = 0;
  for (let trial = 0; trial < seconds * 10; trial++) {
    const l0 = count('left');
    const r0 = count('right');
    e.step(100);
    const dl = count('left') - l0;
    const dr = count('right') - r0;
    if (trial < 20) {
      early.left += dl;
      early.right += dr;
      if (dl > dr) leftWonEarly++;
    }
    // Reward (a dopamine pulse, the reward input held for 50 ms) when the left action dominated the trial.
    if (rewardLeft && dl > dr) {
      e.backend.setInput('reward', 1);
      e.step(50);
      e.backend.setInput('reward', 0);
    }
  }
  const late = { left: 0, right: 0 };
  const l0 = count('left');
  const r0 = count('right');
  e.step(2000);
  late.left = count('left') - l0;
  late.right = count('right') - r0;
  return {
    before,
    after: { left: mean('cue_left'), right: mean('cue_right') },
    early,
    leftWonEarly,
    late,
    level: e.backend.modulatorLevel('dopamine'),
  };
}

describe('reward-modulated STDP', () => {
  it('rewarding the left action strengthens cue->left and makes left fire more than right', () => {
    const r = train(true, 20);
    // Before learning both actions win trials (else there is nothing to learn from, or nothing to learn).
    expect(r.leftWonEarly).toBeGreaterThan(0);
    expect(r.leftWonEarly).toBeLessThan(15);
    expect(r.after.left).toBeGreaterThan(r.before.left * 1.2);
    expect(r.after.left - r.before.left).toBeGreaterThan(2 * Math.abs(r.after.right - r.before.right));
    expect(r.late.left).toBeGreaterThan(1.3 * r.late.right);
  });

  it('without reward the weights do not move', () => {
    const r = train(false, 5);
    expect(r.after.left).toBe(r.before.left);
    expect(r.after.right).toBe(r.before.right);
    expect(r.level).toBe(0);
  });
});
