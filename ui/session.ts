// The dashboard's side of live editing: a view of the running circuit for the editor, edits through
// the engine's live-edit API (validated like a circuit file; an invalid edit throws and changes
// nothing), an undo stack of inverse edits, and save. It always asks the node for its current engine
// and bridge: a hot swap (a ROS parameter) replaces both, and then the undo stack no longer applies.
import { basename, dirname } from 'node:path';
import type { Bridge, BridgeConfig } from '../bridge/bridge.js';
import { loadCircuit, type Edit, type EditResult, type Engine, type PreparedEdit } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import type { ModuleNode } from '../engine/circuit/resolve.js';
import type { Circuit } from '../engine/circuit/circuit.js';
import { followPorts } from '../engine/circuit/resolve.js';
import type { PopulationDoc, ProjectionDoc, Quantity } from '../engine/circuit/document.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { isPlainObject } from '../engine/circuit/merge.js';
import { MODELS, modelOf } from '../engine/models/registry.js';
import { INTERNAL_UNIT, toInternal } from '../engine/units.js';
import { planSave, stagePlan, writePlan, SaveError, type SavePlan } from './save.js';
import {
  SectionRefusal,
  checkInstalledVersion,
  checkVersionRange,
  checkedInclude,
  rootTables,
  withElement,
  withModule,
} from './document-sections.js';
import { installedCircuits, type InstalledCircuit } from '../sharing/packages.js';
import { host } from '../engine/platform/host.js';
import { ideFiles } from './files.js';
import { FORBIDDEN_SEGMENTS } from '../extensions/names.js';
import { LiveBudget, isStructuralEdit, type Addition, type BudgetLimits } from './security.js';
import { estimateSynapses } from '../engine/circuit/estimate.js';

export { isStructuralEdit };

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
  /**
   * Builds an engine from `text`, the circuit file's next content (read as if it were the file), and
   * swaps it in; throws, with the old engine running on, when that fails. With it, inserting a module
   * writes the file only after the build succeeded (with reloadCircuit alone: before, restored on failure).
   */
  reloadCircuitFrom?(text: string): Promise<void>;
  /** The node's bridge document and a rebuild from its next text (bridge editing: ui/bridge-edit.ts). */
  bridgeDocument?(): { file: string; text: string; saved: boolean };
  reloadBridgeFrom?(text: string, circuitText?: string, binding?: { section: 'inputs' | 'outputs'; name: string }): Promise<void>;
  bridgeSaved?(text: string): void;
  /** Switches to another circuit and its bridge document (New circuit: ui/new-circuit.ts). */
  openCircuit?(bridgeFile: string, bridgeText: string): Promise<void>;
  /** Lists the live graph's topics where the transport can. */
  readonly transport?: { topics?(): { name: string; types: string[] }[] };
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

/** A new engine was being built (the robot already got its safe command) and failed; the old one runs on. */
export class RebuildFailed extends RefusedEdit {}

interface UndoEntry {
  label: string;
  /** Applied in order to undo the edit. */
  inverse: Edit[];
  /** What the inverse cannot bring back (live edits cannot add sources, inputs, outputs or modulator entries). */
  lost: string[];
  /** The edit itself: redo applies it again. */
  edit?: Edit;
  /**
   * An element set by a rebuild: the running circuit's document before and after it. Undo and redo
   * build the engine again from the one or the other (the robot's safe command first). `written`: the
   * step wrote the file (a module or port), so undo and redo write it too.
   */
  rebuild?: { before: string; after: string; written?: boolean };
  /** A binding set in the page: the bridge document before and after it, built again by undo and redo. */
  rebind?: { before: string; after: string; binding: BindingRef };
}

export interface SessionLimits extends BudgetLimits {
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
  populations: {
    name: string;
    model: string;
    size: number;
    module: string;
    doc: PopulationDoc;
    params: Record<string, number>;
    usedBy: string[];
  }[];
  projections: {
    name: string;
    source: string;
    target: string;
    module: string;
    doc: ProjectionDoc;
    synapses: number;
    receptor: string;
    kind: string;
    plastic: boolean;
  }[];
  sources: { name: string; type: string; target: string }[];
  inputs: { name: string; target: string | null; mode: string }[];
  outputs: { name: string; source: string; measure: string }[];
  modulators: { name: string; targets: string[] }[];
  modules: { prefix: string; name: string; file: string; parent: string | null }[];
  models: Record<
    string,
    { doc: string; params: Record<string, { unit: string; default: number; doc: string; min?: number; exclusiveMin?: number }> }
  >;
  bridge: { decoded: string[]; driven: string[] };
  undo: { depth: number; next: string | null };
  redo: { depth: number; next: string | null };
}

function moduleList(m: ModuleNode, parent: string | null, out: CircuitView['modules'] = []): CircuitView['modules'] {
  if (m.prefix) out.push({ prefix: m.prefix, name: m.name ?? m.prefix, file: basename(m.file), parent });
  for (const c of m.children) moduleList(c, m.prefix || null, out);
  return out;
}

/** Own properties only: a name like `constructor` must not find what every object inherits. */
function own<T>(table: Record<string, T> | undefined, name: unknown): T | undefined {
  return table && typeof name === 'string' && Object.hasOwn(table, name) ? table[name] : undefined;
}

export class EditSession {
  private undoStack: UndoEntry[] = [];
  /** Undone edits, the last undone on top; a new edit empties it. */
  private redoStack: UndoEntry[] = [];
  private engineSeen: Engine<Backend>;
  /** Neurons, synapses and bytes live additions may still take (over the whole session). */
  readonly budget: LiveBudget;
  /** Bumped by every change of the circuit (edit, undo, hot swap): clients refetch the view. */
  version = 1;
  /** Called after every change (the server tells its clients). */
  onChange: (reason: string) => void = () => undefined;

  constructor(
    private readonly node: RunningNode,
    private readonly limits: SessionLimits = {},
  ) {
    this.engineSeen = node.engine;
    this.budget = new LiveBudget(limits, { neurons: node.engine.network.neurons, synapses: node.engine.network.synapses });
  }

  private get engine(): Engine<Backend> {
    // A hot swap brought a new network: the undo stack was for the old one.
    if (this.node.engine !== this.engineSeen) {
      this.engineSeen = this.node.engine;
      this.undoStack = [];
      this.redoStack = [];
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
    for (const o of cfg.outputs)
      for (const v of o.values) for (const t of v.terms) add(decoded, t.population, `output ${o.name} ${v.path}`);
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
      // Built-in families and the circuit's models defined by equations (their parameters in their own units).
      models: Object.fromEntries(
        [...Object.keys(MODELS), ...Object.keys(c.models ?? {})].map((name) => {
          const m = modelOf(name, c.models)!;
          return [
            name,
            {
              doc: m.doc,
              params: Object.fromEntries(
                Object.entries(m.params).map(([k, s]) => [
                  k,
                  { unit: s.unit ?? INTERNAL_UNIT[s.dimension], default: s.default, doc: s.doc, min: s.min, exclusiveMin: s.exclusiveMin },
                ]),
              ),
            },
          ];
        }),
      ),
      bridge: { decoded: [...use.decoded.keys()], driven: [...use.driven.keys()] },
      undo: { depth: this.undoStack.length, next: top?.label ?? null },
      redo: { depth: this.redoStack.length, next: this.redoStack.at(-1)?.label ?? null },
    };
  }

  /** Dashboard rules on top of the engine's validation: bridge dependencies and size limits. */
  private vet(edit: Edit): void {
    if (!edit || typeof edit !== 'object' || typeof (edit as { op?: unknown }).op !== 'string')
      throw new CircuitError([{ file: '<live edit>', path: '/op', message: 'an edit is an object with an "op"' }]);
    const e = this.engine;
    const aliases = e.flat.aliases;
    if (edit.op === 'remove_population') {
      const use = this.bridgeUse();
      const name = followPorts(aliases, String(edit.name));
      const uses = [...(use.decoded.get(name) ?? []), ...(use.driven.get(name) ?? [])];
      if (uses.length)
        throw new RefusedEdit(
          `population "${name}" is used by the bridge (${uses.join(', ')}); it cannot be removed while the bridge runs`,
        );
    }
    if (edit.op === 'add_population' || edit.op === 'add_projection') {
      const name = String(edit.name);
      const prefixes = moduleList(e.flat.modules, null).map((m) => m.prefix);
      const dot = name.lastIndexOf('.');
      if (dot > 0 && !prefixes.includes(name.slice(0, dot)))
        throw new RefusedEdit(
          `name "${name}": a dotted name must start with a module prefix (${prefixes.join(', ') || 'this circuit has no modules'})`,
          400,
        );
    }
    const add = this.additionOf(edit);
    if (edit.op === 'add_population') {
      const max = this.limits.maxNeurons ?? 1_000_000;
      if (!(add.neurons <= max))
        throw new RefusedEdit(`population "${edit.name}": ${add.neurons} neurons is more than the dashboard adds at once (${max})`, 400);
    }
    if (edit.op === 'add_projection') {
      const max = this.limits.maxSynapses ?? 20_000_000;
      if (!(add.synapses <= max))
        throw new RefusedEdit(
          `projection "${edit.name}": about ${Math.round(add.synapses)} synapses is more than the dashboard adds at once (${max})`,
          400,
        );
    }
    this.checkBudget(`${edit.op} "${String((edit as { name?: unknown }).name)}"`, add);
  }

  /** What an edit adds: neurons of a new population, the estimated synapses of a new projection. */
  private additionOf(edit: Edit): Addition {
    const e = this.engine;
    if (edit.op === 'add_population') {
      const size = (edit.population as { size?: unknown } | undefined)?.size;
      // A size that is not a number is the engine's to refuse (with the path of the field).
      return { neurons: typeof size === 'number' ? size : 0, synapses: 0 };
    }
    if (edit.op === 'add_projection' && edit.projection !== null && typeof edit.projection === 'object') {
      const aliases = e.flat.aliases;
      const size = (ref: unknown) =>
        typeof ref === 'string' ? (e.circuit.populations.find((p) => p.name === followPorts(aliases, ref))?.size ?? 0) : 0;
      return {
        neurons: 0,
        synapses: estimateSynapses(edit.projection.connectivity, size(edit.projection.source), size(edit.projection.target)),
      };
    }
    return { neurons: 0, synapses: 0 };
  }

  /** Refuses (nothing built yet) an addition beyond what is left of the session's budget. */
  private checkBudget(what: string, add: Addition): void {
    const why = this.budget.refusal(what, add);
    if (why) throw new RefusedEdit(why, 400);
  }

  /** Validates and applies an edit, keeping its inverse for undo. Throws CircuitError or RefusedEdit (nothing changed). */
  async apply(edit: Edit): Promise<{ result: EditResult; notes: string[] }> {
    const done = await this.applyEdit(edit);
    // A new edit starts a new history: what was undone before it cannot be redone.
    this.redoStack = [];
    return done;
  }

  private async applyEdit(edit: Edit): Promise<{ result: EditResult; notes: string[] }> {
    // A new projection is wired in a worker first (budgets checked before), while the loop keeps
    // running the old network; only handing the arrays over happens between two ticks.
    let prepared: PreparedEdit | null = null;
    if (edit !== null && typeof edit === 'object' && edit.op === 'add_projection') {
      // The checker first: a value out of range (p = 1.5) gets its message at its path, not a size estimate from it.
      const checked = this.engine.validate(edit);
      this.vet(edit);
      prepared = await this.engine.prepare(edit, checked);
    }
    // Between two ticks: never during an engine step (a GPU backend refuses edits then).
    return this.node.bridge.betweenTicks(() => {
      // A structural edit that still compiles on the loop's thread may outlast a tick: the robot stops
      // first and stays stopped until the loop has caught up (the guard thread covers the compile itself).
      if (isStructuralEdit(edit) && !prepared) this.node.bridge.holdSafe(`live edit ${edit.op}`);
      return this.applyNow(edit, prepared);
    });
  }

  private async applyNow(edit: Edit, prepared: PreparedEdit | null = null): Promise<{ result: EditResult; notes: string[] }> {
    this.vet(edit);
    const added = this.additionOf(edit);
    const e = this.engine;
    const doc = e.flat.doc;
    const inverse: Edit[] = [];
    const lost: string[] = [];
    let label: string = edit.op;
    switch (edit.op) {
      case 'set_param': {
        const pop = own(doc.populations, edit.population);
        const prev = own(pop?.params, edit.param);
        const spec = pop ? own(modelOf(pop.model, e.circuit.models)?.params, edit.param) : undefined;
        label = `set ${edit.population}.${edit.param} = ${edit.value}`;
        if (pop && spec) inverse.push({ op: 'set_param', population: edit.population, param: edit.param, value: prev ?? spec.default });
        break;
      }
      case 'set_weights': {
        label = `set weights of ${edit.projection}`;
        const proj = own(doc.projections, edit.projection);
        if (proj && e.circuit.projections.some((p) => p.name === edit.projection)) {
          const docWeight = proj.weight;
          const constant = typeof docWeight === 'number' || typeof docWeight === 'string' ? (docWeight as Quantity) : undefined;
          // The weights as they are, for an exact undo: not for huge projections (a copy of each).
          const n = e.backend.synapseCount(edit.projection);
          const before =
            n <= (this.limits.undoSynapses ?? 2_000_000) ? Float32Array.from(await e.backend.readWeights(edit.projection)) : null;
          if (edit.value !== undefined) {
            if (constant !== undefined) inverse.push({ op: 'set_weights', projection: edit.projection, value: constant });
            else lost.push(`the weight distribution of ${edit.projection} in the document`);
            const dim = proj.synapse?.type === 'conductance' ? 'conductance' : 'current';
            const c = constant === undefined ? NaN : toInternal(constant, dim);
            const f = typeof c === 'number' ? Math.fround(c) : NaN;
            if (before && !before.every((w) => w === f))
              inverse.push({
                op: 'set_weights',
                projection: edit.projection,
                indices: Array.from(before, (_, k) => k),
                values: Array.from(before),
              });
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
        const spec = own(doc.projections, edit.name);
        if (spec) inverse.push({ op: 'add_projection', name: edit.name, projection: structuredClone(spec) });
        if (e.circuit.projections.find((p) => p.name === edit.name)?.plasticity)
          lost.push(`the learned weights of ${edit.name} (it comes back with its initial weights)`);
        break;
      }
      case 'remove_population': {
        label = `remove population ${edit.name}`;
        const spec = own(doc.populations, edit.name);
        if (spec) inverse.push({ op: 'add_population', name: edit.name, population: structuredClone(spec) });
        break;
      }
    }
    const before = structuredClone(doc);
    const result = e.apply(edit, prepared);
    this.budget.commit(added);
    if (edit.op === 'remove_population') {
      // A cascade takes projections (which come back) and maybe sources, inputs, outputs and modulator
      // entries, which no live edit can add.
      for (const r of result.removed ?? []) {
        const [section, ...rest] = r.split('.');
        const name = rest.join('.');
        const gone = section === 'projections' ? own(before.projections, name) : undefined;
        if (gone) inverse.push({ op: 'add_projection', name, projection: structuredClone(gone) });
        else lost.push(r);
      }
    }
    if (inverse.length) {
      this.undoStack.push({ label, inverse, lost, edit });
      if (this.undoStack.length > (this.limits.undoDepth ?? 100)) this.undoStack.shift();
    }
    this.version++;
    this.onChange('edit');
    return { result, notes: lost.length ? [`undo cannot restore: ${lost.join(', ')}`] : [] };
  }

  /** Applies the inverse of the last edit. Returns its label and what it could not restore. */
  async undo(): Promise<{ undone: string; lost: string[] } | null> {
    // First: a hot swap since the last edit empties the history (its edits were for the old network).
    void this.engine;
    const top = this.undoStack.at(-1);
    if (top?.rebuild || top?.rebind) {
      await this.buildBack(top, 'before', `undo of ${top.label}`);
      this.redoStack.push(this.undoStack.pop()!);
      this.version++;
      this.onChange('undo');
      return { undone: top.label, lost: [] };
    }
    return this.node.bridge.betweenTicks(() => this.undoNow());
  }

  /**
   * Builds the document of a rebuild or binding step from `side` of it (undo: before, redo: after):
   * the bridge document for a binding, else the circuit's, which a module or port step also writes to
   * the file (checked first to be what the other side left).
   */
  private async buildBack(entry: UndoEntry, side: 'before' | 'after', label: string): Promise<void> {
    if (entry.rebind) return this.rebindTo(entry.rebind[side], entry.rebind.binding, label);
    const r = entry.rebuild!;
    if (r.written) this.checkFileIs(side === 'before' ? r.after : r.before, label);
    await this.rebuildTo(r[side], label);
    if (r.written) writePlan({ file: this.circuitFile, text: r[side] });
  }

  /**
   * A step that wrote the file (a module or port) is undone or redone by writing it again: refused when
   * the file is no longer what the step left (saved since) or live edits are not in it, which the write
   * would lose.
   */
  private checkFileIs(text: string, label: string): void {
    const unsaved = this.unsavedEdits();
    if (host().readText(this.circuitFile) !== text || unsaved.length)
      throw new RefusedEdit(
        `${label} writes the circuit file, which has changed since${unsaved.length ? ` (live edits not in it: ${unsaved.join(', ')})` : ''}: nothing done`,
        409,
      );
  }

  /** Whether the next undo or redo builds the engine again (the page's rebuild spacing applies to it). */
  nextIsRebuild(step: 'undo' | 'redo'): boolean {
    void this.engine;
    const entry = step === 'undo' ? this.undoStack.at(-1) : this.redoStack.at(-1);
    return !!(entry?.rebuild || entry?.rebind);
  }

  /**
   * Records a binding the page set (ui/bridge-edit.ts setBinding, which built the engine and bridge
   * again): one step of the history, which undo and redo build back from the bridge document's text.
   */
  boundBinding(label: string, binding: BindingRef, before: string, after: string): void {
    this.restartHistory({ label, inverse: [], lost: [], rebind: { before, after, binding } }, 'binding');
  }

  /**
   * The engine was just built again from the running document, live edits in it: the history starts
   * again with `entry`, the step that built it, which undo builds back.
   */
  private restartHistory(entry: UndoEntry, change: string): void {
    this.engineSeen = this.node.engine;
    this.undoStack = [entry];
    this.redoStack = [];
    this.version++;
    this.onChange(change);
  }

  /** Builds the engine and bridge again from the bridge document `text` (the running circuit's live edits kept). */
  private async rebindTo(text: string, binding: BindingRef, label: string): Promise<void> {
    if (!this.node.reloadBridgeFrom) throw new RefusedEdit('this node cannot rebuild its bridge from a document', 409);
    try {
      // A binding's parameters are adopted from the document; a device has none.
      await this.node.reloadBridgeFrom(
        text,
        this.runningCircuitText(),
        binding.section === 'devices' ? undefined : { section: binding.section, name: binding.name },
      );
    } catch (e) {
      throw new RebuildFailed(`${label} did not start; the running bridge goes on: ${(e as Error).message}`, 400);
    }
    this.engineSeen = this.node.engine;
  }

  /**
   * Builds the engine again from `text` (the circuit file's content as it would be), checked and
   * counted against the budget first; the undo history is kept (this is its own step).
   */
  private async rebuildTo(text: string, label: string): Promise<void> {
    if (!this.node.reloadCircuitFrom) throw new RefusedEdit('this node cannot rebuild its engine from a document', 409);
    const { circuit } = loadCircuit(this.circuitFile, text);
    const added = this.addedBy(circuit);
    this.checkBudget(label, added);
    try {
      await this.node.reloadCircuitFrom(text);
    } catch (e) {
      throw new RebuildFailed(`${label} did not start; the running circuit goes on: ${(e as Error).message}`, 400);
    }
    this.engineSeen = this.node.engine;
    this.budget.commit(added);
  }

  private undoNow(): { undone: string; lost: string[] } | null {
    const e = this.engine;
    const entry = this.undoStack.at(-1);
    if (!entry) return null;
    // Undoing a removal adds again: it takes from the same budget, checked before anything is built.
    const adds = entry.inverse.map((inv) => this.additionOf(inv));
    const total = adds.reduce((a, x) => ({ neurons: a.neurons + x.neurons, synapses: a.synapses + x.synapses }), {
      neurons: 0,
      synapses: 0,
    });
    this.checkBudget(`undo of ${entry.label}`, total);
    this.undoStack.pop();
    this.redoStack.push(entry);
    try {
      entry.inverse.forEach((inv, i) => {
        e.apply(inv);
        this.budget.commit(adds[i]);
      });
    } finally {
      this.version++;
      this.onChange('undo');
    }
    return { undone: entry.label, lost: entry.lost };
  }

  /**
   * Applies the last undone edit again, as any edit is applied (checked, wired off the loop's thread,
   * the robot's safe command first for a structural one). Returns its label, or null when there is none.
   */
  async redo(): Promise<{ redone: string } | null> {
    // First: a hot swap since the undo empties the redo list (its edits were for the old network).
    void this.engine;
    const entry = this.redoStack.pop();
    if (!entry) return null;
    try {
      if (entry.rebind || entry.rebuild) {
        await this.buildBack(entry, 'after', `redo of ${entry.label}`);
        this.undoStack.push(entry);
        this.version++;
        this.onChange('redo');
      } else await this.applyEdit(entry.edit!);
    } catch (e) {
      this.redoStack.push(entry);
      throw e;
    }
    return { redone: entry.label };
  }

  /**
   * Sets one element of the circuit's document (or removes it, value null): a model, modulator, source,
   * input or output, what live edits cannot add, or a population or projection as a whole (a rule, a
   * distribution or plasticity that live edits cannot change). The engine is built again from the running circuit's
   * document with that change, the robot's safe command first, as a module insert does (live edits are
   * kept; the undo history starts again with this step, which undo builds back). The file is not
   * written: Save writes it; but a module (an include entry, by prefix: its file or package circuit,
   * override and version) or a port is written at once, after the build (undo writes it back).
   * Checked before anything is built: the section and name, the document (a CircuitError whose issues
   * name the element's paths: /models/<name>/equations ...), a module's file (in the circuit's folder)
   * or package (listed), the budget.
   */
  async setElement(section: unknown, name: unknown, value: unknown): Promise<{ rebuilt: string }> {
    if (!this.node.reloadCircuitFrom) throw new RefusedEdit('this node cannot rebuild its engine from a document', 409);
    if (typeof section !== 'string' || !(ELEMENT_SECTIONS as readonly string[]).includes(section))
      throw new RefusedEdit(`section: one of ${ELEMENT_SECTIONS.join(', ')}`, 400);
    // "leg.cells": an element of the module included as leg, set through that include's override.
    const dotted = typeof name === 'string' && name.includes('.') && !WRITTEN_SECTIONS.has(section);
    if (dotted) (name as string).split('.').forEach((part) => checkName(part));
    else checkName(name);
    if (value !== null && !isPlainObject(value))
      throw new RefusedEdit('value: the element as an object, as in a document (or null to remove it)', 400);
    const table = this.documentSection(section);
    if (value === null && own(table, name) === undefined) throw new RefusedEdit(`${section}.${name} does not exist`, 409);
    const file = this.circuitFile;
    // Modules and ports are no section of the running network the file is saved from (ui/save.ts): they
    // are written to the file at once, which must then hold every live edit (or the write would drop them).
    const written = WRITTEN_SECTIONS.has(section);
    if (written) {
      const unsaved = this.unsavedEdits();
      if (unsaved.length)
        throw new RefusedEdit(`${section} are written to the file at once: save or undo the live edits first (${unsaved.join(', ')})`, 409);
    }
    const text = written ? host().readText(file) : planSave(file, this.engine.flat).text;
    const next = dotted
      ? this.withModuleElement(section, name as string, value)
      : this.withSectionElement(text, section, name as string, value, own(table, name));
    // Throws CircuitError naming the file, the element's path and what was expected; nothing is built.
    const { circuit } = loadCircuit(file, next);
    const added = this.addedBy(circuit);
    this.checkBudget(`${section}.${name}`, added);
    try {
      await this.node.reloadCircuitFrom(next);
    } catch (e) {
      throw new RebuildFailed(`the circuit with ${section}.${name} did not start; the running one goes on: ${(e as Error).message}`, 400);
    }
    this.budget.commit(added);
    if (written) writePlan({ file, text: next });
    this.restartHistory(
      {
        label: `${value === null ? 'remove ' : ''}${section}.${name}`,
        inverse: [],
        lost: [],
        rebuild: { before: text, after: next, written },
      },
      'element',
    );
    return { rebuilt: `${section}.${name}` };
  }

  /**
   * The circuit file's text with the running circuit's live edits in it (what a rebuild starts from,
   * so that it keeps them); undefined when there are none. Refused (409) when the edits cannot be
   * written as the file's text: a rebuild would drop them.
   */
  runningCircuitText(): string | undefined {
    let plan: SavePlan;
    try {
      plan = planSave(this.circuitFile, this.engine.flat);
    } catch (e) {
      throw new RefusedEdit(`the running circuit's live edits cannot be kept through a rebuild: ${(e as Error).message}`, 409);
    }
    return plan.changed.length ? plan.text : undefined;
  }

  /**
   * The circuit text with an element of an included module set (null: removed): the running network
   * with that element, saved as the file would be (ui/save.ts writes it as the include's override, a
   * merge patch against the module's own document, its names local to the module). Refused with the
   * reason when it cannot be written so: a nested module, a name outside the module.
   */
  private withModuleElement(section: string, name: string, value: Record<string, unknown> | null): string {
    const flat = this.engine.flat;
    const doc = flat.doc as Record<string, unknown>;
    const table = { ...(isPlainObject(doc[section]) ? doc[section] : {}) };
    if (value === null) delete table[name];
    else table[name] = value;
    try {
      return planSave(this.circuitFile, { ...flat, doc: { ...doc, [section]: table } as typeof flat.doc }).text;
    } catch (e) {
      if (e instanceof SaveError) throw new RefusedEdit(`${section}.${name}: ${e.message}`, 400);
      throw e;
    }
  }

  /** The circuit text with one element of a section set (null: removed); a module or port checked first. */
  private withSectionElement(text: string, section: string, name: string, value: Record<string, unknown> | null, current: unknown): string {
    const file = this.circuitFile;
    if (section === 'modules')
      return withModule(
        file,
        text,
        name,
        value && refusing(() => checkedInclude(file, name, value, current, (m) => this.listedCircuit(m))),
      );
    if (section === 'ports') {
      if (value !== null && (typeof value.population !== 'string' || Object.keys(value).length !== 1))
        throw new RefusedEdit('population: the population (or module.port) the port names', 400);
      return withElement(file, text, section, name, value && value.population);
    }
    return withElement(file, text, section, name, value);
  }

  /** A section of the running document: its elements by name as the document writes them (a module or port as the form edits it). */
  documentSection(section: string): Record<string, unknown> | undefined {
    // Written to the file at once (setElement), so read from it. An element of a module set by its
    // qualified name since is not in the file's override until Save (the running network has it).
    if (WRITTEN_SECTIONS.has(section))
      return rootTables(this.circuitFile, host().readText(this.circuitFile))[section as 'modules' | 'ports'];
    const doc = this.engine.flat.doc as Record<string, unknown>;
    const table = Object.hasOwn(doc, section) ? doc[section] : undefined;
    return isPlainObject(table) ? table : undefined;
  }

  /** What a switch to another circuit would lose: live edits not in the file, bindings not saved. */
  unsaved(): string[] {
    const out = this.unsavedEdits();
    if (this.node.bridgeDocument && !this.node.bridgeDocument().saved) out.push('the bindings');
    return out;
  }

  /** The running circuit's live edits not in its file (or why they cannot be written there). */
  private unsavedEdits(): string[] {
    try {
      return planSave(this.circuitFile, this.engine.flat).changed;
    } catch (e) {
      return [(e as Error).message];
    }
  }

  /** Whether `path` names the opened circuit file (saving writes nothing else). */
  isCircuitFile(path: string): boolean {
    const real = (p: string) => {
      try {
        return ideFiles().realpath(p);
      } catch {
        return p;
      }
    };
    return real(path) === real(this.circuitFile);
  }

  /**
   * Inserts a package's circuit as a module: adds `{ module, prefix, version }` to the circuit file's
   * includes and rebuilds the engine from it, as a changed `circuit` parameter does (the robot gets its
   * safe command during the build). A module brings sources, inputs and outputs, which live edits
   * cannot add; so this goes through the file. Only a circuit the component browser lists (an installed
   * Flux package's, by "<package>/<circuit>") is accepted, never a path: a path would read any file
   * and tell which exist. Checked, in order, before anything is built or written: the listing, the
   * version range, unsaved live edits (the rebuild would drop them), the document, the budget.
   */
  async insertModule(module: string, prefix: string, version?: string): Promise<{ file: string }> {
    const file = this.circuitFile;
    if (!this.node.reloadCircuit && !this.node.reloadCircuitFrom)
      throw new RefusedEdit('this node cannot rebuild its engine from the file', 409);
    if (typeof prefix !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(prefix) || FORBIDDEN_SEGMENTS.has(prefix))
      throw new RefusedEdit(
        'give a module ("<package>/<circuit>", as the component browser lists it) and a prefix (a name: letters, digits, _)',
        400,
      );
    const listed = this.listedCircuit(module);
    refusing(() => {
      checkVersionRange(version);
      if (version !== undefined) checkInstalledVersion(listed, version);
    });
    const unsaved = this.unsavedEdits();
    if (unsaved.length)
      throw new RefusedEdit(
        `the running circuit has live edits that are not in its file (${unsaved.join(', ')}): save or undo them first`,
        409,
      );
    const text = host().readText(file);
    if (Object.hasOwn(rootTables(file, text).modules, prefix))
      throw new RefusedEdit(
        `prefix ${prefix} is taken by a module of the circuit: choose another (or set that module in the element form)`,
        409,
      );
    const next = withModule(file, text, prefix, { module: listed.module, prefix, ...(version ? { version } : {}) });
    const { circuit } = loadCircuit(file, next); // throws CircuitError naming the problem; nothing is built or written
    const added = this.addedBy(circuit);
    const max = { neurons: this.limits.maxNeurons ?? 1_000_000, synapses: this.limits.maxSynapses ?? 20_000_000 };
    if (!(added.neurons <= max.neurons && added.synapses <= max.synapses))
      throw new RefusedEdit(
        `${listed.module} as ${prefix}: ${added.neurons} neurons and about ${Math.round(added.synapses)} synapses is more than the dashboard adds at once (${max.neurons} neurons, ${max.synapses} synapses)`,
        400,
      );
    this.checkBudget(`${listed.module} as ${prefix}`, added);
    if (this.node.reloadCircuitFrom) {
      // Built from the new text first: a build that fails (or a process that dies in it) leaves the file as it was.
      try {
        await this.node.reloadCircuitFrom(next);
      } catch (e) {
        throw new RebuildFailed(
          `the circuit with ${listed.module} as ${prefix} did not start, the file is as it was: ${(e as Error).message}`,
          400,
        );
      }
      this.budget.commit(added);
      writePlan({ file, text: next });
      return { file };
    }
    // A node that rebuilds only from its file: written first, and put back when the build fails.
    writePlan({ file, text: next });
    try {
      await this.node.reloadCircuit!();
    } catch (e) {
      writePlan({ file, text });
      throw new RebuildFailed(
        `the circuit with ${listed.module} as ${prefix} did not start, the file is as it was: ${(e as Error).message}`,
        400,
      );
    }
    this.budget.commit(added);
    return { file };
  }

  /** The circuits of the Flux packages installed where the circuit file can see them: the component browser's listing. */
  installed(): InstalledCircuit[] {
    return installedCircuits(dirname(this.circuitFile), { ...ideFiles(), readText: (path) => host().readText(path) });
  }

  /** The installed circuit a request names, or a refusal that tells only what the listing tells. */
  private listedCircuit(module: unknown): InstalledCircuit {
    const all = this.installed();
    const shown = JSON.stringify(
      typeof module === 'string' ? (module.length > 80 ? module.slice(0, 80) + '...' : module) : (module ?? null),
    );
    const found = typeof module === 'string' ? all.find((c) => c.module === module) : undefined;
    if (found) {
      if (found.problem) throw new RefusedEdit(`${found.module} does not load: ${found.problem}`, 400);
      return found;
    }
    const pkg = typeof module === 'string' ? all.find((c) => module.startsWith(c.package + '/')) : undefined;
    if (pkg && typeof module === 'string') {
      const circuits = all.filter((c) => c.package === pkg.package).map((c) => c.circuit);
      throw new RefusedEdit(
        `package ${pkg.package} provides no circuit ${JSON.stringify(module.slice(pkg.package.length + 1).slice(0, 80))} (it provides: ${circuits.join(', ')})`,
        400,
      );
    }
    const names = [...new Set(all.map((c) => c.package))];
    throw new RefusedEdit(
      `${shown} is not a circuit of an installed Flux package; the dashboard inserts only what its component browser lists (${names.length ? names.join(', ') : 'no Flux package is installed next to the circuit file'})`,
      400,
    );
  }

  /** Neurons and estimated synapses a circuit has beyond the running one (what an insert adds). */
  /**
   * What `next` adds to the running network: new populations and projections, and the growth of
   * existing ones (a population made larger, a projection's rule made denser), so that setting an
   * element cannot pass the budget that adding one would not.
   */
  private addedBy(next: Circuit): Addition {
    const running = this.engine.circuit;
    const runSizes = new Map(running.populations.map((p) => [p.name, p.size]));
    const runProjs = new Map(running.projections.map((p) => [p.name, p]));
    const sizes = new Map(next.populations.map((p) => [p.name, p.size]));
    let neurons = 0;
    for (const p of next.populations) neurons += Math.max(0, p.size - (runSizes.get(p.name) ?? 0));
    let synapses = 0;
    for (const p of next.projections) {
      const now = estimateSynapses(p.connectivity, sizes.get(p.source) ?? 0, sizes.get(p.target) ?? 0);
      const was = runProjs.get(p.name);
      const before = was ? estimateSynapses(was.connectivity, runSizes.get(was.source) ?? 0, runSizes.get(was.target) ?? 0) : 0;
      synapses += Math.max(0, now - before);
    }
    return { neurons, synapses };
  }

  /**
   * Writes the running circuit to its file (only when it differs; SaveError when it would not reload
   * equal), and the bridge document the node runs when bindings were edited in the page: the two are
   * staged (written and synced) first and renamed one after the other, so a failure to write either
   * leaves both files as they were.
   */
  save(): SavePlan & { bridge: string | null } {
    const plan = planSave(this.circuitFile, this.engine.flat);
    const b = this.node.bridgeDocument?.();
    const bridge = b && !b.saved ? b : null;
    const staged: { commit(): void; abort(): void }[] = [];
    try {
      // The file already loads as the running network: leave it (and its formatting) alone.
      if (plan.changed.length > 0) staged.push(stagePlan(plan));
      if (bridge) staged.push(stagePlan(bridge));
    } catch (e) {
      for (const s of staged) s.abort();
      throw e;
    }
    // Renames rarely fail (same folder); one that does leaves no temporary file behind.
    staged.forEach((s, i) => {
      try {
        s.commit();
      } catch (e) {
        for (const rest of staged.slice(i + 1)) rest.abort();
        throw e;
      }
    });
    if (bridge) this.node.bridgeSaved?.(bridge.text);
    return { ...plan, bridge: bridge?.file ?? null };
  }
}

export { SaveError };

/** Runs a check of ui/document-sections.ts, whose refusal is the page's (400). */
function refusing<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof SectionRefusal) throw new RefusedEdit(e.message, 400);
    throw e;
  }
}

/** A name the page gives an element or a binding: a document key, never a path or a prototype's. */
export function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) || FORBIDDEN_SEGMENTS.has(name))
    throw new RefusedEdit('name: letters, digits and _, starting with a letter or _ (at most 64)', 400);
}

/**
 * The sections whose elements the page sets by rebuilding (populations and projections also have live
 * edits, for what they change); modules are the include entries by prefix, ports the root's.
 */
/** The sections of a bridge document the page sets (ui/bridge-edit.ts). */
export const BINDING_SECTIONS = ['inputs', 'outputs', 'devices'] as const;
export type BindingSection = (typeof BINDING_SECTIONS)[number];
/** One binding of the bridge document: its section and name. */
export type BindingRef = { section: BindingSection; name: string };

/** Sections written to the circuit file when set (not sections of the running network, which Save writes from). */
const WRITTEN_SECTIONS: ReadonlySet<string> = new Set(['modules', 'ports']);

export const ELEMENT_SECTIONS = [
  'populations',
  'projections',
  'models',
  'modulators',
  'sources',
  'inputs',
  'outputs',
  'modules',
  'ports',
] as const;
