// Pure checks the dashboard applies to what clients send: the request target of any request (a
// malformed one must get an HTTP error, never an exception), and the budget of live additions (how
// many neurons, synapses and bytes edits and module inserts may add over a whole session, checked
// before anything is built: compiling a million neurons holds the process for seconds).

/** The request target as a URL, or null when it is not one (`//`, `//a:b/ws`, `http://[/ws`). */
export function requestTarget(raw: unknown): URL | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 8192) return null;
  // Only origin-form ("/path?query") is served: absolute-form and authority-form name other servers.
  if (!raw.startsWith('/') || raw.startsWith('//')) return null;
  try {
    return new URL(raw, 'http://flux.invalid');
  } catch {
    return null;
  }
}

/** Edits that change the network's structure (the backend rebuilds buffers): they may take longer than a tick. */
export function isStructuralEdit(edit: unknown): boolean {
  const op = edit !== null && typeof edit === 'object' ? (edit as { op?: unknown }).op : undefined;
  return op === 'add_population' || op === 'add_projection' || op === 'remove_population' || op === 'remove_projection';
}

/** What a live addition needs; bytes are estimated from the counts (see BYTES_PER_*). */
export interface Addition {
  neurons: number;
  synapses: number;
}

/** State, parameters and spike buffers of one neuron (an upper estimate over the models). */
export const BYTES_PER_NEURON = 64;
/** Target index, weight, delay and, when plastic, the post-side index and a trace (see synapseBytes). */
export const BYTES_PER_SYNAPSE = 20;

export function additionBytes(a: Addition): number {
  return a.neurons * BYTES_PER_NEURON + a.synapses * BYTES_PER_SYNAPSE;
}

export interface BudgetLimits {
  /** Neurons all live additions of a session may add together (default: 5,000 or the running network's count, the larger). */
  totalNeurons?: number;
  /** Synapses all live additions of a session may add together, estimated from connectivity (default: 500,000 or the running network's count, the larger). */
  totalSynapses?: number;
  /** Estimated bytes all live additions may take together (default: what the neuron and synapse budgets take, at most). */
  totalBytes?: number;
}

/**
 * The default budget: live additions may at most about double the network the node started with (so
 * the loop keeps most of its speed), with a floor for small circuits that are being grown by hand.
 */
export function defaultBudget(start: Addition): Required<BudgetLimits> {
  const neurons = Math.max(5_000, start.neurons);
  const synapses = Math.max(500_000, start.synapses);
  return { totalNeurons: neurons, totalSynapses: synapses, totalBytes: additionBytes({ neurons, synapses }) };
}

/**
 * The running total of a session's live additions. Removals give nothing back: an add/remove loop would
 * otherwise stall the loop again and again within the budget.
 */
export class LiveBudget {
  private used: Addition = { neurons: 0, synapses: 0 };
  readonly neurons: number;
  readonly synapses: number;
  readonly bytes: number;

  constructor(limits: BudgetLimits = {}, start: Addition = { neurons: 0, synapses: 0 }) {
    const d = defaultBudget(start);
    this.neurons = limits.totalNeurons ?? d.totalNeurons;
    this.synapses = limits.totalSynapses ?? d.totalSynapses;
    this.bytes = limits.totalBytes ?? d.totalBytes;
  }

  get spent(): Addition & { bytes: number } {
    return { ...this.used, bytes: additionBytes(this.used) };
  }

  /** Why `a` does not fit what is left (null when it fits). Non-finite or negative needs never fit. */
  refusal(what: string, a: Addition): string | null {
    const need = { neurons: a.neurons, synapses: a.synapses, bytes: additionBytes(a) };
    const left = { neurons: this.neurons - this.used.neurons, synapses: this.synapses - this.used.synapses, bytes: this.bytes - additionBytes(this.used) };
    for (const k of ['neurons', 'synapses', 'bytes'] as const) {
      if (!(need[k] >= 0 && need[k] <= left[k]))
        return `${what} would add ${fmt(need[k])} ${k === 'bytes' ? 'bytes (estimated)' : k}, more than is left of the dashboard's budget for live additions (${fmt(Math.max(0, left[k]))} of ${fmt(this[k])} ${k} per session: save, and restart Flux to start afresh; DashboardLimits.total${k[0].toUpperCase()}${k.slice(1)} sets it)`;
    }
    return null;
  }

  commit(a: Addition): void {
    this.used = { neurons: this.used.neurons + a.neurons, synapses: this.used.synapses + a.synapses };
  }
}

function fmt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);
}

/** Estimated synapse count of a projection's connectivity between populations of the given sizes (all pairs when unknowable). */
export function estimateSynapses(connectivity: unknown, nSrc: number, nTgt: number): number {
  const c = (connectivity !== null && typeof connectivity === 'object' ? connectivity : {}) as { type?: unknown; p?: unknown; n?: unknown; sigma?: unknown; cutoff?: unknown; pairs?: unknown };
  const all = nSrc * nTgt;
  const num = (v: unknown, fallback: number) => (v === undefined ? fallback : typeof v === 'number' ? v : NaN);
  let n: number;
  switch (c.type) {
    case 'one_to_one':
      n = Math.min(nSrc, nTgt);
      break;
    case 'fixed_probability':
      n = all * Math.min(1, Math.max(0, num(c.p, 0)));
      break;
    case 'fixed_indegree':
      n = nTgt * num(c.n, 0);
      break;
    case 'fixed_outdegree':
      n = nSrc * num(c.n, 0);
      break;
    case 'gaussian':
      // A disc of cutoff·sigma around each source, at most every target.
      n = nSrc * Math.min(nTgt, Math.PI * (num(c.cutoff, 3) * num(c.sigma, 1)) ** 2);
      break;
    case 'list':
      n = Array.isArray(c.pairs) ? c.pairs.length : all;
      break;
    case 'explicit':
      // A checked circuit's matrix or list: one entry per synapse.
      n = Array.isArray((c as { sources?: unknown }).sources) ? (c as { sources: unknown[] }).sources.length : all;
      break;
    default:
      // all_to_all, matrix (at most every pair) and kinds the engine will refuse anyway.
      n = all;
  }
  // A malformed field (the engine refuses it) must not make the estimate NaN, which no budget compares.
  return Number.isFinite(n) && n >= 0 ? n : all;
}
