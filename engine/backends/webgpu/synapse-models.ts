// The WebGPU backend's side of synapse models defined by equations: per projection, the host copy of
// its index arrays (presynaptic neuron of each synapse, synapses by target), its generated module
// (engine/equations/codegen-synapse-wgsl.ts) for how the two populations hold what it reads, and the
// record its kernels read from prm. Placement in the shared buffers is webgpu.ts's.
import type { PopulationSpec } from '../../circuit/circuit.js';
import type { CompiledProjection } from '../../compile/compiler.js';
import type { SynapseDefinition } from '../../equations/synapse-definition.js';
import { CHANNEL_TARGETS } from '../../equations/synapse-definition.js';
import type { ModelDefinition } from '../../equations/model-definition.js';
import type { Holding } from '../../equations/codegen-synapse-js.js';
import { SYN_HEADER, wgslSynapse, wordValues, type SynWord, type WgslSynapse } from '../../equations/codegen-synapse-wgsl.js';
import { buildPostIndex } from '../../plasticity/stdp.js';
import { CHANNELS, NONE, fbits, type Channel } from './layout.js';

/** What the record needs of a population: where its slots lie and its parameters. */
export interface SynPop {
  spec: PopulationSpec;
  n: number;
  stateBase: number;
  vars: string[];
  /** The model defined by equations (for parameter defaults), or null for a built-in. */
  def: ModelDefinition | null;
}

export interface SynHost {
  def: SynapseDefinition;
  /** Presynaptic neuron of each synapse (local index). */
  preIdx: Uint32Array;
  /** Synapses by target, in synapse order (on_post and summed), or empty. */
  postPtr: Uint32Array;
  postSyn: Uint32Array;
  maxCol: number;
  /** The module for the current layout (how both populations hold what it reads). */
  code: WgslSynapse | null;
  /** Placement in the current layout: record in prm, variables in pl, indices in col. */
  rec: number;
  vars: number;
  pre: number;
  last: number;
  postPtrAt: number;
  postSynAt: number;
  /** Steps of the source's spikes on_pre keeps (maxDelay + 1 for a delayed projection with on_pre, else 0), and their col index. */
  histLen: number;
  hist: number;
  /** pl index of the target's external current (sources and inputs) when this projection sums into I_ext, else NONE. */
  iext: number;
  /** This projection starts its target's I_ext sum afresh (the first to sum into it). */
  firstIext: boolean;
}

/** Most work (every neuron spiking, times the longest row or column) one spike-driven kernel strides over. */
const MAX_WORK = 2 ** 32 - 1;

export function createSynHost(def: SynapseDefinition, c: CompiledProjection, nPre: number, nPost: number, maxRow: number): SynHost {
  const name = `projection "${c.spec.name}" (synapse model "${def.name}")`;
  const nsyn = c.targets.length;
  const preIdx = new Uint32Array(nsyn);
  for (let i = 0; i < nPre; i++) preIdx.fill(i, c.rowPtr[i], c.rowPtr[i + 1]);
  const { postPtr, postSyn } =
    def.onPost.length || def.summed.length
      ? buildPostIndex(c.rowPtr, c.targets, nPost)
      : { postPtr: new Uint32Array(0), postSyn: new Uint32Array(0) };
  let maxCol = 0;
  for (let j = 0; j + 1 < postPtr.length; j++) maxCol = Math.max(maxCol, postPtr[j + 1] - postPtr[j]);
  const histLen = def.onPre.length > 0 && c.maxDelay > 0 ? c.maxDelay + 1 : 0;
  // on_pre walks the spikes of every step a synapse's delay may reach back to (one, with one delay for all).
  const slots = c.delays ? Math.max(histLen, 1) : 1;
  if (nPre * Math.max(maxRow, 1) * slots > MAX_WORK || nPost * Math.max(maxCol, 1) > MAX_WORK)
    throw new Error(`${name}: every neuron spiking would be more than 2^32 synapse events in one step on the GPU; use the cpu backend`);
  return {
    def,
    preIdx,
    postPtr,
    postSyn,
    maxCol,
    code: null,
    rec: 0,
    vars: 0,
    pre: 0,
    last: 0,
    postPtrAt: 0,
    postSynAt: 0,
    histLen,
    hist: NONE,
    iext: NONE,
    firstIext: false,
  };
}

/** The channels a synapse model's statements add to (each needs a ring on the target). */
export function writtenChannels(def: SynapseDefinition): Channel[] {
  const out = new Set<Channel>();
  for (const s of [...def.onPre, ...def.onPost]) if (Object.hasOwn(CHANNEL_TARGETS, s.target)) out.add(CHANNEL_TARGETS[s.target].channel);
  return CHANNELS.filter((c) => out.has(c));
}

/** The parameters of a target's model that synapse models fill every step (summed variables other than I_ext). */
export function summedParameters(defs: Iterable<SynapseDefinition>): string[] {
  const out = new Set<string>();
  for (const d of defs) for (const sm of d.summed) if (sm.target !== 'I_ext') out.add(sm.target);
  return [...out];
}

/** How a population holds a variable a synapse reads: a state slot per neuron, or one number. */
function holdingOf(p: SynPop): (name: string) => Holding | undefined {
  return (name) => {
    if (p.vars.includes(name)) return 'array';
    if (Object.hasOwn(p.spec.params, name) || (p.def && Object.hasOwn(p.def.parameters, name))) return 'scalar';
    return undefined;
  };
}

/** The module of the projection's synapse model for the populations as they are now (refused with a WgslError). */
export function synapseCode(h: SynHost, src: SynPop, tgt: SynPop, modulators: readonly string[]): WgslSynapse {
  const key = JSON.stringify([src.vars, Object.keys(src.spec.params), tgt.vars, Object.keys(tgt.spec.params), modulators]);
  return wgslSynapse(
    { def: h.def, pre: holdingOf(src), post: holdingOf(tgt), modulators: new Set(modulators), recurrent: src.spec.name === tgt.spec.name },
    key,
  );
}

function scalarOf(p: SynPop, name: string): number {
  if (Object.hasOwn(p.spec.params, name)) return p.spec.params[name];
  if (p.def && Object.hasOwn(p.def.parameters, name)) return p.def.parameters[name].default;
  throw new Error(`internal: no value of ${name} in population "${p.spec.name}"`);
}

export interface RecordContext {
  src: SynPop;
  tgt: SynPop;
  /** Synapse-model parameters of the projection (defaults filled). */
  params: Readonly<Record<string, number>>;
  dt: number;
  modulators: readonly string[];
  nsyn: number;
  rowBase: number;
  maxRow: number;
  rng: number;
}

/** The words of the projection's record (SYN_HEADER, then the module's words). */
export function synapseRecord(h: SynHost, x: RecordContext): Uint32Array {
  const code = h.code!;
  const slot = (p: SynPop, name: string) => {
    const k = p.vars.indexOf(name);
    if (k < 0) throw new Error(`internal: ${name} has no slot in population "${p.spec.name}"`);
    return p.stateBase + k * p.n;
  };
  const other = (w: SynWord): number => {
    switch (w.kind) {
      case 'pre':
      case 'post': {
        const p = w.kind === 'pre' ? x.src : x.tgt;
        return w.holding === 'array' ? slot(p, w.name) : fbits(scalarOf(p, w.name));
      }
      case 'modulator':
        return x.modulators.indexOf(w.name);
      case 'summed':
        // The input slot follows the variables and the four channels.
        return w.target === 'I_ext' ? x.tgt.stateBase + (x.tgt.vars.length + 4) * x.tgt.n : slot(x.tgt, w.target);
      default:
        throw new Error(`internal: word ${w.kind} has no backend value`);
    }
  };
  const out = new Uint32Array(SYN_HEADER.K + code.words.length);
  out[SYN_HEADER.VARS] = h.vars;
  out[SYN_HEADER.PRE] = h.pre;
  out[SYN_HEADER.LAST] = h.last;
  out[SYN_HEADER.POSTPTR] = h.postPtrAt;
  out[SYN_HEADER.POSTSYN] = h.postSynAt;
  out[SYN_HEADER.NSYN] = x.nsyn;
  out[SYN_HEADER.ROWS] = x.rowBase;
  out[SYN_HEADER.MAXROW] = x.maxRow;
  out[SYN_HEADER.MAXCOL] = h.maxCol;
  out[SYN_HEADER.IEXT] = h.iext;
  out[SYN_HEADER.FLAGS] = h.firstIext ? 1 : 0;
  out[SYN_HEADER.RNG] = x.rng >>> 0;
  out[SYN_HEADER.HIST] = h.hist;
  out[SYN_HEADER.HISTLEN] = h.histLen;
  out.set(wordValues(h.def, code.words, x.params, x.dt, other), SYN_HEADER.K);
  return out;
}
