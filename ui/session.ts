// The dashboard's side of live editing: a view of the running circuit for the editor, edits through
// the engine's live-edit API (validated like a circuit file; an invalid edit throws and changes
// nothing), an undo stack of inverse edits, and save. It always asks the node for its current engine
// and bridge: a hot swap (a ROS parameter) replaces both, and then the undo stack no longer applies.
import { basename } from 'node:path';
import { readFileSync, realpathSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { Bridge, BridgeConfig } from '../bridge/bridge.js';
import { loadCircuit, type Edit, type EditResult, type Engine } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import type { ModuleNode } from '../engine/circuit/resolve.js';
import { followPorts } from '../engine/circuit/resolve.js';
import type { PopulationDoc, ProjectionDoc, Quantity } from '../engine/circuit/document.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { MODELS } from '../engine/models/registry.js';
import { INTERNAL_UNIT, toInternal } from '../engine/units.js';
import { planSave, writePlan, SaveError, type SavePlan } from './save.js';

/**
 * What the dashboard needs of a running node (FluxNode has it): its current engine and bridge (a hot
 * swap may replace both, so they are read anew each time) and the documents it opened.
 */
export interface RunningNode {
  readonly engine: Engine<Backend>;
  readonly bridge: Bridge;
  readonly loaded: { circuitFile: string; config: BridgeConfig };
  /** Rebuilds the engine from the circuit file (FluxNode): what inserting a module needs. */
  reloadCircuit?(): Promise<void>;
}

/** An edit the dashboard refuses before it reaches the engine (a bridge dependency, a size limit). */
export class RefusedEdit extends Error {
  constructor(
    message: string,
    readonly status = 409,
  ) {
    super(message);
  }
}

interface UndoEntry {
  label: string;
  /** Applied in order to undo the edit. */
  inverse: Edit[];
  /** What the inverse cannot bring back (live edits cannot add sources, inputs, outputs or modulator entries). */
  lost: string[];
}

export interface SessionLimits {
  /** Most neurons an added population may have (default 1,000,000). */
  maxNeurons?: number;
  /** Most synapses an added projection may create, estimated from its connectivity (default 20,000,000). */
  maxSynapses?: number;
  /** Undo entries kept (default 100). */
  undoDepth?: number;
  /** Projections up to this many synapses keep their weights for an exact undo of set_weights (default 2,000,000). */
  undoSynapses?: number;
}

export interface CircuitView {
  version: number;
  file: string;
  name: string;
  dt: number;
  stepIndex: number;
  backend: string;
  populations: { name: string; model: string; size: number; module: string; doc: PopulationDoc; params: Record<string, number>; usedBy: string[] }[];
  projections: { name: string; source: string; target: string; module: string; doc: ProjectionDoc; synapses: number; receptor: string; kind: string; plastic: boolean }[];
  sources: { name: string; type: string; target: string }[];
  inputs: { name: string; target: string | null; mode: string }[];
  outputs: { name: string; source: string; measure: string }[];
  modulators: { name: string; targets: string[] }[];
  modules: { prefix: string; name: string; file: string; parent: string | null }[];
  models: Record<string, { doc: string; params: Record<string, { unit: string; default: number; doc: string; min?: number; exclusiveMin?: number }> }>;
  bridge: { decoded: string[]; driven: string[] };
  undo: { depth: number; next: string | null };
}

function moduleList(m: ModuleNode, parent: string | null, out: CircuitView['modules'] = []): CircuitView['modules'] {
  if (m.prefix) out.push({ prefix: m.prefix, name: m.name ?? m.prefix, file: basename(m.file), parent });
  for (const c of m.children) moduleList(c, m.prefix || null, out);
  return out;
}

/** Estimated synapse count of a projection document between populations of the given sizes. */
function estimateSynapses(p: ProjectionDoc, nSrc: number, nTgt: number): number {
  const c = p.connectivity as { type?: string; p?: number; n?: number; sigma?: number; cutoff?: number };
  switch (c?.type) {
    case 'one_to_one':
      return Math.min(nSrc, nTgt);
    case 'all_to_all':
      return nSrc * nTgt;
    case 'fixed_probability':
      return nSrc * nTgt * Math.min(1, Math.max(0, Number(c.p) || 0));
    case 'fixed_indegree':
      return nTgt * (Number(c.n) || 0);
    case 'fixed_outdegree':
      return nSrc * (Number(c.n) || 0);
    default:
      return nSrc * Math.min(nTgt, Math.PI * ((Number(c.cutoff) || 3) * (Number(c.sigma) || 1)) ** 2);
  }
}

export class EditSession {
  private undoStack: UndoEntry[] = [];
  private engineSeen: Engine<Backend>;
  /** Bumped by every change of the circuit (edit, undo, hot swap): clients refetch the view. */
  version = 1;
  /** Called after every change (the server tells its clients). */
  onChange: (reason: string) => void = () => undefined;

  constructor(
    private readonly node: RunningNode,
    private readonly limits: SessionLimits = {},
  ) {
    this.engineSeen = node.engine;
  }

  private get engine(): Engine<Backend> {
    // A hot swap brought a new network: the undo stack was for the old one.
    if (this.node.engine !== this.engineSeen) {
      this.engineSeen = this.node.engine;
      this.undoStack = [];
      this.version++;
      this.onChange('swap');
    }
    return this.node.engine;
  }

  /** Checks for a hot swap (the server calls it with its telemetry). */
  poll(): void {
    void this.engine;
  }

  get circuitFile(): string {
    return this.node.loaded.circuitFile;
  }

  /** Populations the bridge decodes, and those its inputs drive (they may not be removed live). */
  private bridgeUse(): { decoded: Map<string, string[]>; driven: Map<string, string[]> } {
    const cfg = this.node.loaded.config;
    const circuit = this.engine.circuit;
    const decoded = new Map<string, string[]>();
    const driven = new Map<string, string[]>();
    const add = (m: Map<string, string[]>, k: string, v: string) => m.set(k, [...(m.get(k) ?? []), v]);
    for (const o of cfg.outputs) for (const v of o.values) for (const t of v.terms) add(decoded, t.population, `output ${o.name} ${v.path}`);
    for (const i of cfg.inputs) {
      const target = circuit.inputs.find((x) => x.name === i.input)?.target;
      if (target) add(driven, target, `input ${i.input} (${i.topic})`);
    }
    return { decoded, driven };
  }

  view(): CircuitView {
    const e = this.engine;
    const c = e.circuit;
    const flat = e.flat;
    const modules = moduleList(flat.modules, null);
    const prefixes = modules.map((m) => m.prefix).sort((a, b) => b.length - a.length);
    const moduleOf = (name: string) => prefixes.find((p) => name.startsWith(p + '.')) ?? '';
    const use = this.bridgeUse();
    const top = this.undoStack.at(-1);
    return {
      version: this.version,
      file: this.circuitFile,
      name: c.name,
      dt: c.dt,
      stepIndex: e.backend.stepIndex,
      backend: e.backend.name,
      populations: c.populations.map((p) => ({
        name: p.name,
        model: p.model,
        size: p.size,
        module: moduleOf(p.name),
        doc: flat.doc.populations?.[p.name] ?? ({ model: p.model, size: p.size } as PopulationDoc),
        params: p.params,
        usedBy: [...(use.decoded.get(p.name) ?? []), ...(use.driven.get(p.name) ?? [])],
      })),
      projections: c.projections.map((p) => ({
        name: p.name,
        source: p.source,
        target: p.target,
        module: moduleOf(p.name),
        doc: flat.doc.projections?.[p.name] as ProjectionDoc,
        synapses: e.backend.synapseCount(p.name),
        receptor: p.synapse.receptor,
        kind: p.synapse.type,
        plastic: !!p.plasticity,
      })),
      sources: c.sources.map((s) => ({ name: s.name, type: s.type, target: s.target })),
      inputs: c.inputs.map((i) => ({ name: i.name, target: i.target, mode: i.mode })),
      outputs: c.outputs.map((o) => ({ name: o.name, source: o.source, measure: o.measure })),
      modulators: c.modulators.map((m) => ({ name: m.name, targets: m.targets.map((t) => t.population ?? t.projection ?? '') })),
      modules,
      models: Object.fromEntries(
        Object.entries(MODELS).map(([name, m]) => [
          name,
          { doc: m.doc, params: Object.fromEntries(Object.entries(m.params).map(([k, s]) => [k, { unit: INTERNAL_UNIT[s.dimension], default: s.default, doc: s.doc, min: s.min, exclusiveMin: s.exclusiveMin }])) },
        ]),
      ),
      bridge: { decoded: [...use.decoded.keys()], driven: [...use.driven.keys()] },
      undo: { depth: this.undoStack.length, next: top?.label ?? null },
    };
  }

  /** Dashboard rules on top of the engine's validation: bridge dependencies and size limits. */
  private vet(edit: Edit): void {
    if (!edit || typeof edit !== 'object' || typeof (edit as { op?: unknown }).op !== 'string') throw new CircuitError([{ file: '<live edit>', path: '/op', message: 'an edit is an object with an "op"' }]);
    const e = this.engine;
    const aliases = e.flat.aliases;
    if (edit.op === 'remove_population') {
      const use = this.bridgeUse();
      const name = followPorts(aliases, String(edit.name));
      const uses = [...(use.decoded.get(name) ?? []), ...(use.driven.get(name) ?? [])];
      if (uses.length) throw new RefusedEdit(`population "${name}" is used by the bridge (${uses.join(', ')}); it cannot be removed while the bridge runs`);
    }
    if (edit.op === 'add_population' || edit.op === 'add_projection') {
      const name = String(edit.name);
      const prefixes = moduleList(e.flat.modules, null).map((m) => m.prefix);
      const dot = name.lastIndexOf('.');
      if (dot > 0 && !prefixes.includes(name.slice(0, dot))) throw new RefusedEdit(`name "${name}": a dotted name must start with a module prefix (${prefixes.join(', ') || 'this circuit has no modules'})`, 400);
    }
    if (edit.op === 'add_population') {
      const size = Number(edit.population?.size);
      const max = this.limits.maxNeurons ?? 1_000_000;
      if (size > max) throw new RefusedEdit(`population "${edit.name}": ${size} neurons is more than the dashboard adds at once (${max})`, 400);
    }
    if (edit.op === 'add_projection' && edit.projection && typeof edit.projection === 'object') {
      const size = (ref: unknown) => e.circuit.populations.find((p) => p.name === followPorts(aliases, String(ref)))?.size ?? 0;
      const n = estimateSynapses(edit.projection, size(edit.projection.source), size(edit.projection.target));
      const max = this.limits.maxSynapses ?? 20_000_000;
      if (n > max) throw new RefusedEdit(`projection "${edit.name}": about ${Math.round(n)} synapses is more than the dashboard adds at once (${max})`, 400);
    }
  }

  /** Validates and applies an edit, keeping its inverse for undo. Throws CircuitError or RefusedEdit (nothing changed). */
  apply(edit: Edit): Promise<{ result: EditResult; notes: string[] }> {
    // Between two ticks: never during an engine step (a GPU backend refuses edits then).
    return this.node.bridge.betweenTicks(() => this.applyNow(edit));
  }

  private async applyNow(edit: Edit): Promise<{ result: EditResult; notes: string[] }> {
    this.vet(edit);
    const e = this.engine;
    const doc = e.flat.doc;
    const inverse: Edit[] = [];
    const lost: string[] = [];
    let label: string = edit.op;
    switch (edit.op) {
      case 'set_param': {
        const pop = doc.populations?.[edit.population];
        const prev = pop?.params?.[edit.param];
        const spec = pop ? MODELS[pop.model]?.params[edit.param] : undefined;
        label = `set ${edit.population}.${edit.param} = ${edit.value}`;
        if (pop && spec) inverse.push({ op: 'set_param', population: edit.population, param: edit.param, value: prev ?? spec.default });
        break;
      }
      case 'set_weights': {
        label = `set weights of ${edit.projection}`;
        const proj = doc.projections?.[edit.projection];
        if (proj && e.circuit.projections.some((p) => p.name === edit.projection)) {
          const docWeight = proj.weight;
          const constant = typeof docWeight === 'number' || typeof docWeight === 'string' ? (docWeight as Quantity) : undefined;
          // The weights as they are, for an exact undo: not for huge projections (a copy of each).
          const n = e.backend.synapseCount(edit.projection);
          const before = n <= (this.limits.undoSynapses ?? 2_000_000) ? Float32Array.from(await e.backend.readWeights(edit.projection)) : null;
          if (edit.value !== undefined) {
            if (constant !== undefined) inverse.push({ op: 'set_weights', projection: edit.projection, value: constant });
            else lost.push(`the weight distribution of ${edit.projection} in the document`);
            const dim = proj.synapse?.type === 'conductance' ? 'conductance' : 'current';
            const c = constant === undefined ? NaN : toInternal(constant, dim);
            const f = typeof c === 'number' ? Math.fround(c) : NaN;
            if (before && !before.every((w) => w === f)) inverse.push({ op: 'set_weights', projection: edit.projection, indices: Array.from(before, (_, k) => k), values: Array.from(before) });
            else if (!before) lost.push(`the individual weights of ${edit.projection} (${n} synapses: undo sets the document's weight)`);
          } else if (Array.isArray(edit.indices) && before) {
            const idx = edit.indices.filter((k) => Number.isInteger(k) && k >= 0 && k < before.length);
            inverse.push({ op: 'set_weights', projection: edit.projection, indices: idx, values: idx.map((k) => before[k]) });
          } else lost.push(`the weights of ${edit.projection} (${n} synapses are not kept for undo)`);
        }
        break;
      }
      case 'add_population':
        label = `add population ${edit.name}`;
        inverse.push({ op: 'remove_population', name: edit.name });
        break;
      case 'add_projection':
        label = `add projection ${edit.name}`;
        inverse.push({ op: 'remove_projection', name: edit.name });
        break;
      case 'remove_projection': {
        label = `remove projection ${edit.name}`;
        const spec = doc.projections?.[edit.name];
        if (spec) inverse.push({ op: 'add_projection', name: edit.name, projection: structuredClone(spec) });
        if (e.circuit.projections.find((p) => p.name === edit.name)?.plasticity) lost.push(`the learned weights of ${edit.name} (it comes back with its initial weights)`);
        break;
      }
      case 'remove_population': {
        label = `remove population ${edit.name}`;
        const spec = doc.populations?.[edit.name];
        if (spec) inverse.push({ op: 'add_population', name: edit.name, population: structuredClone(spec) });
        break;
      }
    }
    const before = structuredClone(doc);
    const result = e.apply(edit);
    if (edit.op === 'remove_population') {
      // A cascade takes projections (which come back) and maybe sources, inputs, outputs and modulator
      // entries, which no live edit can add.
      for (const r of result.removed ?? []) {
        const [section, ...rest] = r.split('.');
        const name = rest.join('.');
        if (section === 'projections' && before.projections?.[name]) inverse.push({ op: 'add_projection', name, projection: structuredClone(before.projections[name]) });
        else lost.push(r);
      }
    }
    if (inverse.length) {
      this.undoStack.push({ label, inverse, lost });
      if (this.undoStack.length > (this.limits.undoDepth ?? 100)) this.undoStack.shift();
    }
    this.version++;
    this.onChange('edit');
    return { result, notes: lost.length ? [`undo cannot restore: ${lost.join(', ')}`] : [] };
  }

  /** Applies the inverse of the last edit. Returns its label and what it could not restore. */
  undo(): Promise<{ undone: string; lost: string[] } | null> {
    return this.node.bridge.betweenTicks(() => this.undoNow());
  }

  private undoNow(): { undone: string; lost: string[] } | null {
    const e = this.engine;
    const entry = this.undoStack.pop();
    if (!entry) return null;
    try {
      for (const inv of entry.inverse) e.apply(inv);
    } finally {
      this.version++;
      this.onChange('undo');
    }
    return { undone: entry.label, lost: entry.lost };
  }

  /** Whether `path` names the opened circuit file (saving writes nothing else). */
  isCircuitFile(path: string): boolean {
    const real = (p: string) => {
      try {
        return realpathSync(p);
      } catch {
        return p;
      }
    };
    return real(path) === real(this.circuitFile);
  }

  /**
   * Inserts a package's circuit as a module: adds `{ module, prefix, version }` to the circuit file's
   * includes (checked first: a problem changes nothing) and rebuilds the engine from the file, as a
   * changed `circuit` parameter does (the robot gets its safe command during the build). A module
   * brings sources, inputs and outputs, which live edits cannot add; so this goes through the file.
   * Refused while live edits are unsaved (the rebuild would drop them).
   */
  async insertModule(module: string, prefix: string, version?: string): Promise<{ file: string }> {
    const file = this.circuitFile;
    if (!this.node.reloadCircuit) throw new RefusedEdit('this node cannot rebuild its engine from the file', 409);
    if (typeof module !== 'string' || !module || typeof prefix !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) throw new RefusedEdit('give a module ("<package>/<circuit>") and a prefix (a name: letters, digits, _)', 400);
    let unsaved: string[];
    try {
      unsaved = planSave(file, this.engine.flat).changed;
    } catch (e) {
      unsaved = [(e as Error).message];
    }
    if (unsaved.length) throw new RefusedEdit(`the running circuit has live edits that are not in its file (${unsaved.join(', ')}): save or undo them first`, 409);
    const text = readFileSync(file, 'utf8');
    const entry = { module, prefix, ...(version ? { version } : {}) };
    let next: string;
    if (/\.json$/i.test(file)) {
      const d = JSON.parse(text) as { include?: unknown[] };
      (d.include ??= []).push(entry);
      next = JSON.stringify(d, null, 2) + '\n';
    } else {
      const doc = parseDocument(text);
      if (!doc.has('include')) doc.set('include', doc.createNode([]));
      (doc.get('include') as { add(v: unknown): void }).add(doc.createNode(entry, { flow: true }));
      next = doc.toString({ lineWidth: 0 });
    }
    loadCircuit(file, next); // throws CircuitError naming the problem; nothing is written
    // Written as save writes (through a symlink to the real file, keeping its mode, atomically).
    writePlan({ file, text: next, changed: [] });
    try {
      await this.node.reloadCircuit();
    } catch (e) {
      writePlan({ file, text, changed: [] });
      throw new RefusedEdit(`the circuit with ${module} as ${prefix} did not start, the file is as it was: ${(e as Error).message}`, 400);
    }
    return { file };
  }

  /** Writes the running network back to its circuit file; throws SaveError when it cannot reload equal. */
  save(): SavePlan {
    const plan = planSave(this.circuitFile, this.engine.flat);
    // The file already loads as the running network: leave it (and its formatting) alone.
    if (plan.changed.length > 0) writePlan(plan);
    return plan;
  }
}

export { SaveError };
