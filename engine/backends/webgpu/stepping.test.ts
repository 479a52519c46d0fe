import { describe, expect, it } from 'vitest';
import {
  RESIDENT_NEURONS_PER_THREAD,
  RESIDENT_SYNAPSES_PER_THREAD,
  chooseStepping,
  residentThreads,
  type SteppingFacts,
} from './stepping.js';

const facts = (over: Partial<SteppingFacts>): SteppingFacts => ({
  stepping: 'auto',
  allowed: true,
  neurons: 4000,
  synapses: 320_000,
  everyStep: 0,
  threads: 1024,
  software: false,
  ...over,
});

describe('GPU stepping choice', () => {
  it("'auto' runs small networks resident on a hardware adapter, large ones and software adapters with dispatches", () => {
    expect(chooseStepping(facts({}))).toBe('resident');
    expect(chooseStepping(facts({ neurons: RESIDENT_NEURONS_PER_THREAD * 1024 }))).toBe('resident');
    expect(chooseStepping(facts({ neurons: RESIDENT_NEURONS_PER_THREAD * 1024 + 1 }))).toBe('dispatch');
    expect(chooseStepping(facts({ neurons: 5000, threads: 256 }))).toBe('dispatch');
    expect(chooseStepping(facts({ synapses: RESIDENT_SYNAPSES_PER_THREAD * 1024 }))).toBe('resident');
    expect(chooseStepping(facts({ synapses: RESIDENT_SYNAPSES_PER_THREAD * 1024 + 1 }))).toBe('dispatch');
    expect(chooseStepping(facts({ software: true }))).toBe('dispatch');
    // Reward STDP's eligibility traces change every step, as neurons do: they count against the same bound.
    expect(chooseStepping(facts({ everyStep: RESIDENT_NEURONS_PER_THREAD * 1024 - 4000 }))).toBe('resident');
    expect(chooseStepping(facts({ everyStep: RESIDENT_NEURONS_PER_THREAD * 1024 - 3999 }))).toBe('dispatch');
  });

  it('a circuit the resident loop does not cover runs with dispatches whatever was asked; dispatch is always honoured', () => {
    for (const stepping of ['auto', 'resident', 'dispatch'] as const)
      expect(chooseStepping(facts({ stepping, allowed: false }))).toBe('dispatch');
    expect(chooseStepping(facts({ stepping: 'resident', neurons: 1e6, software: true }))).toBe('resident');
    expect(chooseStepping(facts({ stepping: 'dispatch' }))).toBe('dispatch');
  });

  it('the workgroup is the largest power of two the device allows, from 256 to 1024 threads', () => {
    expect(residentThreads({ maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024 })).toBe(1024);
    expect(residentThreads({ maxComputeInvocationsPerWorkgroup: 768, maxComputeWorkgroupSizeX: 1024 })).toBe(512);
    expect(residentThreads({ maxComputeInvocationsPerWorkgroup: 2048, maxComputeWorkgroupSizeX: 2048 })).toBe(1024);
    expect(residentThreads({ maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256 })).toBe(256);
  });
});
