// How a chunk of steps reaches the GPU: a few dispatches per step, or one resident dispatch per chunk
// (shaders/resident.wgsl), where a single workgroup loops over the steps with barriers between the
// phases. A dispatch costs the host about 2.5 µs to encode and the GPU a launch, which bound a small
// network's step; one workgroup runs on one multiprocessor, which bounds a large network's.

export type GpuStepping = 'auto' | 'resident' | 'dispatch';

/**
 * Largest network 'auto' runs resident, in neurons per thread of the workgroup (16384 neurons with
 * 1024 threads). A guess until measured on a GPU: above some size the whole GPU's dispatches win.
 */
export const RESIDENT_NEURONS_PER_THREAD = 16;
/**
 * And in synapses per thread (about 1M with 1024 threads): one multiprocessor propagates every
 * event, so a dense network keeps its dispatches short this way (a long dispatch can trip a display
 * driver's watchdog).
 */
export const RESIDENT_SYNAPSES_PER_THREAD = 1024;

/** Threads of the resident workgroup: the device's most, as a power of two from 256 to 1024. */
export function residentThreads(
  limits: Pick<GPUSupportedLimits, 'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX'>,
): number {
  const most = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX, 1024);
  return Math.max(256, 2 ** Math.floor(Math.log2(most)));
}

export interface SteppingFacts {
  /** The option the user gave. */
  stepping: GpuStepping;
  /** Whether the resident loop covers the circuit: no synapse models, at most 256 projections. */
  allowed: boolean;
  neurons: number;
  synapses: number;
  /** Synapses updated every step whether or not a spike arrives (reward STDP's eligibility traces): counted as neurons. */
  everyStep: number;
  /** Threads of the resident workgroup. */
  threads: number;
  /** A CPU implementation of WebGPU, where a workgroup runs on one CPU thread: never resident by choice. */
  software: boolean;
}

/**
 * 'resident' where asked for or, with 'auto', where the network is small on a hardware adapter; only
 * where allowed ('resident' is a request: a circuit the loop does not cover runs with dispatches).
 */
export function chooseStepping(f: SteppingFacts): 'resident' | 'dispatch' {
  if (f.stepping === 'dispatch' || !f.allowed) return 'dispatch';
  if (f.stepping === 'resident') return 'resident';
  const perStep = f.neurons + f.everyStep;
  const small = perStep <= RESIDENT_NEURONS_PER_THREAD * f.threads && f.synapses <= RESIDENT_SYNAPSES_PER_THREAD * f.threads;
  return !f.software && small ? 'resident' : 'dispatch';
}
