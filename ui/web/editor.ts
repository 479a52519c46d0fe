// The live editor: the circuit as a graph (populations as nodes, projections as edges, module prefixes
// as collapsible groups), an inspector to see and edit the selected population's parameters or a
// projection's weight, forms to add populations and projections, undo and save. Every edit goes to the
// server, which applies it through the engine's live-edit API between two ticks; a refused edit comes
// back with the engine's message (file, JSON path, what was expected), shown as it is.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api, colorOf, fmt, rebuildApi, type Live } from './live.js';
import { html } from './views.js';
import type { InstalledCircuit } from './protocol.js';
import { Field, issuesAt, parseField, parseMapping, parseValue, type Issues } from './form.js';
import { BridgeEditor } from './bridge-editor.js';
import { TraceForm, WeightsView } from './inspect-views.js';
import { ElementForm } from './element-form.js';

type Quantity = number | string;

export interface CircuitView {
  version: number;
  file: string;
  name: string;
  dt: number;
  backend: string;
  populations: {
    name: string;
    model: string;
    size: number;
    module: string;
    doc: { model: string; size: number; params?: Record<string, Quantity>; description?: string };
    params: Record<string, number>;
    usedBy: string[];
  }[];
  projections: {
    name: string;
    source: string;
    target: string;
    module: string;
    doc: Record<string, unknown> & { weight?: unknown; connectivity?: unknown };
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
  models: Record<string, { doc: string; params: Record<string, { unit: string; default: number; doc: string }> }>;
  bridge: { decoded: string[]; driven: string[] };
  undo: { depth: number; next: string | null };
  redo: { depth: number; next: string | null };
}

type Selection = { kind: 'population' | 'projection'; name: string } | null;

// ---- graph layout ---------------------------------------------------------------------------------

interface GNode {
  id: string;
  label: string;
  sub: string;
  kind: 'population' | 'module';
  name: string;
  x: number;
  y: number;
  /** Modules (outermost first) the node sits in, expanded ones only. */
  groups: string[];
}
interface GEdge {
  id: string;
  from: string;
  to: string;
  names: string[];
  inhibitory: boolean;
  excitatory: boolean;
}

const NW = 136;
const NH = 46;

/** Layers: longest path from the sources, ignoring the edges that close a cycle. */
function layerRanks(ids: string[], edges: GEdge[]): Map<string, number> {
  const out = new Map<string, string[]>();
  for (const e of edges) if (e.from !== e.to) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  const state = new Map<string, number>();
  const back = new Set<string>();
  const visit = (n: string) => {
    state.set(n, 1);
    for (const m of out.get(n) ?? []) {
      if (state.get(m) === 1) back.add(`${n}->${m}`);
      else if (!state.has(m)) visit(m);
    }
    state.set(n, 2);
  };
  for (const n of ids) if (!state.has(n)) visit(n);
  const rank = new Map(ids.map((n) => [n, 0]));
  for (let pass = 0; pass < ids.length; pass++) {
    let changed = false;
    for (const e of edges) {
      if (e.from === e.to || back.has(`${e.from}->${e.to}`)) continue;
      const r = rank.get(e.from)! + 1;
      if (r > rank.get(e.to)!) {
        rank.set(e.to, r);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return rank;
}

interface GGroup {
  prefix: string;
  x: number;
  y: number;
  w: number;
  h: number;
  depth: number;
}

/** Boxes around expanded modules that have visible members, outermost first (drawn under the inner ones). */
function moduleBoxes(
  modules: CircuitView['modules'],
  collapsed: Set<string>,
  chain: (module: string) => string[],
  nodes: GNode[],
): GGroup[] {
  const groups: GGroup[] = [];
  for (const m of modules) {
    if (collapsed.has(m.prefix) || chain(m.prefix).some((c) => c !== m.prefix && collapsed.has(c))) continue;
    const members = nodes.filter((n) => n.groups.includes(m.prefix));
    if (!members.length) continue;
    const depth = chain(m.prefix).length;
    const pad = 16 - depth * 3;
    const x0 = Math.min(...members.map((n) => n.x)) - pad;
    const y0 = Math.min(...members.map((n) => n.y)) - pad - 14;
    const x1 = Math.max(...members.map((n) => n.x + NW)) + pad;
    const y1 = Math.max(...members.map((n) => n.y + NH)) + pad;
    groups.push({ prefix: m.prefix, x: x0, y: y0, w: x1 - x0, h: y1 - y0, depth });
  }
  return groups.sort((a, b) => a.depth - b.depth);
}

function layoutGraph(view: CircuitView, collapsed: Set<string>) {
  const parent = new Map(view.modules.map((m) => [m.prefix, m.parent]));
  const chain = (module: string): string[] => {
    const out: string[] = [];
    for (let m: string | null | undefined = module || null; m; m = parent.get(m)) out.unshift(m);
    return out;
  };
  const visibleOf = (pop: string): string => {
    const p = view.populations.find((x) => x.name === pop);
    for (const m of chain(p?.module ?? '')) if (collapsed.has(m)) return `module:${m}`;
    return `pop:${pop}`;
  };
  const nodes = new Map<string, GNode>();
  for (const p of view.populations) {
    const id = visibleOf(p.name);
    if (nodes.has(id)) continue;
    if (id.startsWith('module:')) {
      const m = id.slice(7);
      const n = view.populations.filter((q) => chain(q.module).includes(m)).length;
      nodes.set(id, {
        id,
        label: `▸ ${m}`,
        sub: `module, ${n} populations`,
        kind: 'module',
        name: m,
        x: 0,
        y: 0,
        groups: chain(m)
          .slice(0, -1)
          .filter((g) => !collapsed.has(g)),
      });
    } else
      nodes.set(id, {
        id,
        label: p.name,
        sub: `${p.model} × ${p.size}`,
        kind: 'population',
        name: p.name,
        x: 0,
        y: 0,
        groups: chain(p.module),
      });
  }
  const edges = new Map<string, GEdge>();
  for (const pr of view.projections) {
    const from = visibleOf(pr.source);
    const to = visibleOf(pr.target);
    const key = `${from}->${to}`;
    const e = edges.get(key) ?? { id: key, from, to, names: [], inhibitory: false, excitatory: false };
    e.names.push(pr.name);
    if (pr.receptor === 'inhibitory') e.inhibitory = true;
    else e.excitatory = true;
    edges.set(key, e);
  }
  const rank = layerRanks([...nodes.keys()].sort(), [...edges.values()]);
  // Rows: every expanded module is a band of its own (its members, then its submodules' bands), so a
  // module's box holds its members and nothing else. Columns: the layers.
  const ROW = NH + 30;
  const bandOf = (n: GNode) => n.groups.at(-1) ?? '';
  const childBands = (band: string) =>
    view.modules.filter((m) => (m.parent ?? '') === band && !collapsed.has(m.prefix)).map((m) => m.prefix);
  const place = (band: string, y0: number): number => {
    let y = y0;
    const direct = [...nodes.values()].filter((n) => bandOf(n) === band);
    const byRank = new Map<number, GNode[]>();
    for (const n of direct) byRank.set(rank.get(n.id)!, [...(byRank.get(rank.get(n.id)!) ?? []), n]);
    let rows = 0;
    for (const [r, list] of byRank) {
      list.sort((a, b) => a.label.localeCompare(b.label));
      list.forEach((n, i) => {
        n.x = 30 + r * (NW + 70);
        n.y = y + i * ROW;
      });
      rows = Math.max(rows, list.length);
    }
    y += rows * ROW;
    for (const child of childBands(band)) {
      const hgt = place(child, y + 26);
      if (hgt > 0) y += hgt + 26 + 14;
    }
    return y - y0;
  };
  place('', 30);
  const all = [...nodes.values()];
  const groups = moduleBoxes(view.modules, collapsed, chain, all);
  const width = Math.max(300, ...all.map((n) => n.x + NW + 40), ...groups.map((g) => g.x + g.w + 20));
  const height = Math.max(200, ...all.map((n) => n.y + NH + 40), ...groups.map((g) => g.y + g.h + 20));
  return { nodes, edges: [...edges.values()], groups, width, height };
}

function edgePath(a: GNode, b: GNode): string {
  if (a === b) {
    const x = a.x + NW - 24;
    const y = a.y;
    return `M ${x} ${y} C ${x - 10} ${y - 40}, ${x + 40} ${y - 40}, ${x + 22} ${y + 2}`;
  }
  const ax = a.x + NW / 2;
  const ay = a.y + NH / 2;
  const bx = b.x + NW / 2;
  const by = b.y + NH / 2;
  // Leave and enter at the boxes' edges.
  const clip = (cx: number, cy: number, dx: number, dy: number) => {
    const t = Math.min(Math.abs(dx) > 1e-9 ? NW / 2 / Math.abs(dx) : Infinity, Math.abs(dy) > 1e-9 ? NH / 2 / Math.abs(dy) : Infinity);
    return [cx + dx * t, cy + dy * t];
  };
  const dx = bx - ax;
  const dy = by - ay;
  const [sx, sy] = clip(ax, ay, dx, dy);
  const [tx, ty] = clip(bx, by, -dx, -dy);
  const len = Math.hypot(tx - sx, ty - sy) || 1;
  // A slight bend, to one side: two opposite projections do not overlap.
  const mx = (sx + tx) / 2 + (-(ty - sy) / len) * 18;
  const my = (sy + ty) / 2 + ((tx - sx) / len) * 18;
  return `M ${sx} ${sy} Q ${mx} ${my} ${tx} ${ty}`;
}

/** Enter or Space on an element that acts as a button (the graph's nodes, edges and module names). */
const keyed = (act: () => void) => (e: KeyboardEvent) => {
  if (e.key !== 'Enter' && e.key !== ' ') return;
  e.preventDefault();
  act();
};

function Graph({ view, live, selection, select }: { view: CircuitView; live: Live; selection: Selection; select: (s: Selection) => void }) {
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const g = useMemo(() => layoutGraph(view, collapsed), [view, collapsed]);
  const toggle = (m: string) => {
    const next = new Set(collapsed);
    if (next.has(m)) next.delete(m);
    else next.add(m);
    setCollapsed(next);
  };
  const rates = live.telemetry?.rates ?? {};
  const popIndex = new Map(live.layout.populations.map((p, i) => [p.name, i]));
  return html`<svg class="graph" viewBox=${`0 0 ${g.width} ${g.height}`} preserveAspectRatio="xMidYMin meet" data-testid="graph">
    <defs>
      <marker id="arr-exc" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#2e7d32" /></marker>
      <marker id="arr-inh" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="6" markerHeight="6"><circle cx="5" cy="5" r="4" fill="#c62828" /></marker>
    </defs>
    ${g.groups.map(
      (gr) => html`<g class="group" key=${'g' + gr.prefix}>
        <rect x=${gr.x} y=${gr.y} width=${gr.w} height=${gr.h} rx="8" />
        <text x=${gr.x + 8} y=${gr.y + 13} data-testid=${`module-${gr.prefix}`} role="button" tabindex="0" aria-label=${`collapse module ${gr.prefix}`} aria-expanded="true"
          onClick=${() => toggle(gr.prefix)} onKeyDown=${keyed(() => toggle(gr.prefix))}>▾ ${gr.prefix}</text>
      </g>`,
    )}
    ${g.edges.map((e) => {
      const a = g.nodes.get(e.from)!;
      const b = g.nodes.get(e.to)!;
      const single = e.names.length === 1 ? e.names[0] : null;
      const sel = selection?.kind === 'projection' && e.names.includes(selection.name);
      return html`<path key=${e.id} class=${`edge ${e.inhibitory && !e.excitatory ? 'inh' : 'exc'} ${sel ? 'selected' : ''}`} d=${edgePath(a, b)}
        marker-end=${e.inhibitory && !e.excitatory ? 'url(#arr-inh)' : 'url(#arr-exc)'}
        data-testid=${single ? `edge-${single}` : `edges-${e.id}`} role="button" tabindex="0" aria-label=${`projection ${e.names.join(', ')}`}
        onClick=${() => select({ kind: 'projection', name: e.names[0] })}
        onKeyDown=${keyed(() => select({ kind: 'projection', name: e.names[0] }))}><title>${e.names.join(', ')}</title></path>`;
    })}
    ${[...g.nodes.values()].map((n) => {
      if (n.kind === 'module')
        return html`<g key=${n.id} class="module" data-testid=${`module-${n.name}`} role="button" tabindex="0" aria-label=${`expand module ${n.name}`} aria-expanded="false"
          onClick=${() => toggle(n.name)} onKeyDown=${keyed(() => toggle(n.name))}>
          <rect x=${n.x} y=${n.y} width=${NW} height=${NH} rx="6" fill="#eef3fa" stroke="#6e8bb0" stroke-dasharray="4 3" />
          <text x=${n.x + 8} y=${n.y + 18} font-size="11" font-weight="600" fill="#3b5675">${n.label}</text>
          <text x=${n.x + 8} y=${n.y + 34} font-size="10" fill="#6b7480">${n.sub}</text>
        </g>`;
      const rate = rates[n.name];
      const heat = Math.min(1, (rate ?? 0) / 80);
      const sel = selection?.kind === 'population' && selection.name === n.name;
      const i = popIndex.get(n.name) ?? 0;
      const pick = () => select({ kind: 'population', name: n.name });
      return html`<g key=${n.id} class=${`node ${sel ? 'selected' : ''}`} data-testid=${`node-${n.name}`} role="button" tabindex="0" aria-label=${`population ${n.name}`} aria-pressed=${sel}
        onClick=${pick} onKeyDown=${keyed(pick)}>
        <rect x=${n.x} y=${n.y} width=${NW} height=${NH} rx="6" style=${`fill: rgba(255, 140, 60, ${(0.08 + 0.5 * heat).toFixed(3)})`} />
        <rect x=${n.x} y=${n.y} width="5" height=${NH} rx="2" style=${`fill:${colorOf(i)};stroke:none`} />
        <text x=${n.x + 10} y=${n.y + 16}>${n.label.length > 20 ? '…' + n.label.slice(-19) : n.label}</text>
        <text class="sub" x=${n.x + 10} y=${n.y + 30}>${n.sub}</text>
        <text class="sub" x=${n.x + 10} y=${n.y + 41} data-testid=${`node-rate-${n.name}`}>${rate === undefined ? '' : `${fmt(rate)} Hz`}</text>
      </g>`;
    })}
  </svg>`;
}

// ---- inspector --------------------------------------------------------------------------------------

function PopulationPanel({
  view,
  name,
  edit,
  live,
  done,
}: {
  view: CircuitView;
  name: string;
  edit: (label: string, body: unknown) => Promise<boolean>;
  live: Live;
  done: (text: string, ok: boolean) => void;
}) {
  const p = view.populations.find((x) => x.name === name);
  // A parameter without a draft shows the document's value; an applied draft is cleared to undefined.
  const [draft, setDraft] = useState<Record<string, string | undefined>>({});
  // Drafts belong to one population and one version of the circuit. They are dropped during the render
  // that sees another, not in an effect: an effect runs after the first paint and wiped text typed
  // before it ran (a loaded machine, a fast hand or a test).
  const key = `${name}\u0000${view.version}`;
  const [draftKey, setDraftKey] = useState(key);
  if (draftKey !== key) {
    setDraftKey(key);
    setDraft({});
  }
  if (!p) return html`<p class="muted">${name} is gone.</p>`;
  const model = view.models[p.model];
  const apply = async (param: string) => {
    const text = draft[param];
    if (text === undefined || text.trim() === '') return;
    if (await edit(`${name}.${param} = ${text}`, { op: 'set_param', population: name, param, value: parseValue(text) }))
      setDraft({ ...draft, [param]: undefined });
  };
  const rate = live.telemetry?.rates[name];
  return html`<div data-testid="inspector-population">
    <p><b>${p.name}</b> <span class="muted">${p.model} × ${p.size}${p.module ? `, module ${p.module}` : ''}</span> — <span data-testid="inspector-rate">${fmt(rate)} Hz</span></p>
    ${p.doc.description ? html`<p class="muted">${p.doc.description}</p>` : null}
    ${p.usedBy.length ? html`<p class="muted">used by the bridge: ${p.usedBy.join('; ')}</p>` : null}
    <table>
      <tr><th>parameter</th><th>value</th><th>in use</th><th></th></tr>
      ${Object.entries(model?.params ?? {}).map(([k, spec]) => {
        const docValue = p.doc.params?.[k];
        const value = draft[k] ?? (docValue === undefined ? '' : String(docValue));
        return html`<tr key=${k} title=${spec.doc}>
          <td>${k}</td>
          <td><input class="param" aria-label=${k} data-testid=${`param-${k}`} value=${value} placeholder=${`${spec.default} ${spec.unit}`}
            onInput=${(e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value })}
            onKeyDown=${(e: KeyboardEvent) => e.key === 'Enter' && apply(k)} /></td>
          <td class="num muted">${fmt(p.params[k])} ${spec.unit}</td>
          <td><button data-testid=${`apply-${k}`} disabled=${draft[k] === undefined} onClick=${() => apply(k)}>Apply</button></td>
        </tr>`;
      })}
    </table>
    <${TraceForm} population=${name} size=${p.size} live=${live} done=${done} />
    <p><button class="danger" data-testid="remove-population" onClick=${() => edit(`remove ${name}`, { op: 'remove_population', name, cascade: true })}>Remove population (and its projections)</button></p>
  </div>`;
}

function ProjectionPanel({
  view,
  name,
  edit,
}: {
  view: CircuitView;
  name: string;
  edit: (label: string, body: unknown) => Promise<boolean>;
}) {
  const p = view.projections.find((x) => x.name === name);
  const [weight, setWeight] = useState<string | null>(null);
  // Dropped during the render that sees another projection or circuit version (see PopulationPanel).
  const key = `${name}\u0000${view.version}`;
  const [weightKey, setWeightKey] = useState(key);
  if (weightKey !== key) {
    setWeightKey(key);
    setWeight(null);
  }
  if (!p) return html`<p class="muted">${name} is gone.</p>`;
  const docWeight = typeof p.doc.weight === 'object' ? JSON.stringify(p.doc.weight) : String(p.doc.weight);
  return html`<div data-testid="inspector-projection">
    <p><b>${p.name}</b>: ${p.source} → ${p.target} <span class="muted">(${p.kind}, ${p.receptor}, ${p.synapses} synapses${p.plastic ? ', plastic' : ''})</span></p>
    <pre class="muted" style="white-space:pre-wrap;margin:4px 0">${JSON.stringify(p.doc.connectivity)}</pre>
    <p><label for="projection-weight">weight</label> <input id="projection-weight" class="param" data-testid="weight" value=${weight ?? docWeight} onInput=${(e: Event) => setWeight((e.target as HTMLInputElement).value)} />
      <button data-testid="apply-weight" disabled=${weight === null} onClick=${() => weight !== null && edit(`${name} weight = ${weight}`, { op: 'set_weights', projection: name, value: parseValue(weight) })}>Set all weights</button></p>
    <p><button class="danger" data-testid="remove-projection" onClick=${() => edit(`remove ${name}`, { op: 'remove_projection', name })}>Remove projection</button></p>
    <${WeightsView} projection=${name} />
  </div>`;
}

/** What the forms that add to the circuit take: the view, the edit sender, the issues of the last refusal. */
interface AddFormProps {
  view: CircuitView;
  edit: (label: string, body: unknown) => Promise<boolean>;
  issues: Issues;
}

function AddPopulation({ view, edit, issues }: AddFormProps) {
  const [f, setF] = useState({ name: '', model: 'lif', size: '20', params: '', init: '' });
  // Open at first on an empty circuit; after that the user opens and closes it (a prop that changed would close it).
  const [openAtFirst] = useState(view.populations.length === 0);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  const submit = async () => {
    const population: Record<string, unknown> = { model: f.model, size: Number(f.size) };
    try {
      const params = parseMapping('params', f.params);
      const init = parseMapping('init', f.init);
      if (params && Object.keys(params).length) population.params = params;
      if (init && Object.keys(init).length) population.init = init;
    } catch (e) {
      await edit('', { error: (e as Error).message });
      return;
    }
    const name = f.name;
    // Cleared once added, unless a new name was typed meanwhile (the status shows before this returns).
    if (await edit(`add population ${name}`, { op: 'add_population', name: name.trim(), population }))
      setF((now) => (now.name === name ? { ...now, name: '' } : now));
  };
  // An add_population edit's issues are at /population/...; the circuit's at /populations/<name>/...
  const at = (field: string) => issuesAt(issues, `/population${field}`, `/populations/${f.name.trim()}${field}`);
  return html`<details data-testid="add-population" open=${openAtFirst}>
    <summary>New population</summary>
    <div class="form" role="group" aria-label="population">
      <${Field} id="add-pop-name" label="name"><input id="add-pop-name" data-testid="add-pop-name" value=${f.name} onInput=${set('name')} placeholder="e.g. exc" /><//>
      <${Field} id="add-pop-model" label="model" problems=${at('/model')}><select id="add-pop-model" data-testid="add-pop-model" value=${f.model} onChange=${set('model')}>${Object.keys(view.models).map((m) => html`<option key=${m} value=${m}>${m}</option>`)}</select><//>
      <${Field} id="add-pop-size" label="size" problems=${at('/size')}><input id="add-pop-size" data-testid="add-pop-size" inputmode="numeric" value=${f.size} onInput=${set('size')} /><//>
      <${Field} id="add-pop-params" label="params" problems=${at('/params')}><textarea id="add-pop-params" data-testid="add-pop-params" value=${f.params} onInput=${set('params')} placeholder=${'one per line, e.g.\ntau_m: 20 ms\ni_offset: 400 pA'}></textarea><//>
      <${Field} id="add-pop-init" label="init" problems=${at('/init')}><textarea id="add-pop-init" data-testid="add-pop-init" value=${f.init} onInput=${set('init')} placeholder=${'one per line, e.g.\nv: { normal: { mean: -65 mV, sd: 5 mV } }'}></textarea><//>
    </div>
    <button data-testid="add-pop" onClick=${submit}>Add population</button>
  </details>`;
}

const RULES = ['one_to_one', 'all_to_all', 'fixed_probability', 'fixed_indegree', 'fixed_outdegree', 'fixed_total_number'] as const;
const COUNT_RULES: readonly string[] = ['fixed_indegree', 'fixed_outdegree', 'fixed_total_number'];

function AddProjection({ view, edit, issues }: AddFormProps) {
  const first = view.populations[0]?.name ?? '';
  const [f, setF] = useState({
    name: '',
    source: '',
    target: '',
    type: 'fixed_probability',
    p: '0.1',
    n: '10',
    weight: '1 nS',
    synapse: 'conductance',
    receptor: 'excitatory',
    delay: '',
  });
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  const [openAtFirst] = useState(view.populations.length > 0 && view.projections.length === 0);
  const submit = async () => {
    const connectivity: Record<string, unknown> = { type: f.type };
    let weight: unknown;
    let delay: unknown;
    try {
      if (f.type === 'fixed_probability') connectivity.p = parseField('p', f.p);
      if (COUNT_RULES.includes(f.type)) connectivity.n = parseField('n', f.n);
      weight = parseField('weight', f.weight);
      delay = f.delay.trim() ? parseField('delay', f.delay) : undefined;
    } catch (e) {
      await edit('', { error: (e as Error).message });
      return;
    }
    const projection: Record<string, unknown> = {
      source: f.source || first,
      target: f.target || first,
      connectivity,
      weight,
      synapse: { type: f.synapse, receptor: f.receptor },
    };
    if (delay !== undefined) projection.delay = delay;
    const name = f.name;
    if (await edit(`add projection ${name}`, { op: 'add_projection', name: name.trim(), projection }))
      setF((now) => (now.name === name ? { ...now, name: '' } : now));
  };
  const at = (field: string) => issuesAt(issues, `/projection${field}`, `/projections/${f.name.trim()}${field}`);
  const pops = view.populations.map((p) => html`<option key=${p.name} value=${p.name}>${p.name}</option>`);
  return html`<details data-testid="add-projection" open=${openAtFirst}>
    <summary>New projection</summary>
    <div class="form" role="group" aria-label="projection">
      <${Field} id="add-proj-name" label="name"><input id="add-proj-name" data-testid="add-proj-name" value=${f.name} onInput=${set('name')} placeholder="e.g. exc_to_inh" /><//>
      <${Field} id="add-proj-source" label="source" problems=${at('/source')}><select id="add-proj-source" data-testid="add-proj-source" value=${f.source || first} onChange=${set('source')}>${pops}</select><//>
      <${Field} id="add-proj-target" label="target" problems=${at('/target')}><select id="add-proj-target" data-testid="add-proj-target" value=${f.target || first} onChange=${set('target')}>${pops}</select><//>
    </div>
    <fieldset class="form" aria-label="connectivity"><legend>connectivity</legend>
      <${Field} id="add-proj-conn" label="type" problems=${at('/connectivity/type')}><select id="add-proj-conn" data-testid="add-proj-conn" value=${f.type} onChange=${set('type')}>
        ${RULES.map((c) => html`<option key=${c} value=${c}>${c}</option>`)}
      </select><//>
      ${f.type === 'fixed_probability' ? html`<${Field} id="add-proj-p" label="p" problems=${at('/connectivity/p')}><input id="add-proj-p" data-testid="add-proj-k" value=${f.p} onInput=${set('p')} /><//>` : null}
      ${COUNT_RULES.includes(f.type) ? html`<${Field} id="add-proj-n" label="n" problems=${at('/connectivity/n')}><input id="add-proj-n" data-testid="add-proj-n" value=${f.n} onInput=${set('n')} /><//>` : null}
    </fieldset>
    <div class="form" role="group" aria-label="transmission">
      <${Field} id="add-proj-weight" label="weight" problems=${at('/weight')}><input id="add-proj-weight" data-testid="add-proj-weight" value=${f.weight} onInput=${set('weight')} placeholder="6 nS, or { normal: { mean: 6 nS, sd: 1 nS } }" /><//>
      <${Field} id="add-proj-delay" label="delay" problems=${at('/delay')}><input id="add-proj-delay" data-testid="add-proj-delay" value=${f.delay} onInput=${set('delay')} placeholder="default: felt from the next step" /><//>
    </div>
    <fieldset class="form" aria-label="synapse"><legend>synapse</legend>
      <${Field} id="add-proj-synapse" label="type" problems=${at('/synapse')}><select id="add-proj-synapse" data-testid="add-proj-synapse" value=${f.synapse} onChange=${set('synapse')}><option value="conductance">conductance</option><option value="current">current</option></select><//>
      <${Field} id="add-proj-receptor" label="receptor"><select id="add-proj-receptor" data-testid="add-proj-receptor" value=${f.receptor} onChange=${set('receptor')}><option value="excitatory">excitatory</option><option value="inhibitory">inhibitory</option></select><//>
    </fieldset>
    <button data-testid="add-proj" onClick=${submit}>Add projection</button>
  </details>`;
}

/** New circuit: an empty one beside the open circuit (a name, no path); the node switches to it. */
function NewCircuit({ done }: { done: (text: string, ok: boolean) => void }) {
  const [name, setName] = useState('');
  const create = async () => {
    try {
      const r = await rebuildApi<{ file: string }>('/api/new', { name: name.trim() });
      setName('');
      done(`new circuit ${r.file}`, true);
    } catch (e) {
      done((e as Error).message, false);
    }
  };
  return html`<span role="group" aria-label="new circuit">
    <input aria-label="new circuit name" size="12" placeholder="new circuit name" value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
    <button disabled=${!name.trim()} onClick=${create}>New circuit</button>
  </span>`;
}

/** Run, pause, step, reset and speed, for a circuit without a robot (flux edit); nothing next to a robot. */
function RunControls({ live, done }: { live: Live; done: (text: string, ok: boolean) => void }) {
  const run = live.telemetry?.run;
  if (!run) return null;
  const act = async (body: Record<string, string>, what: string) => {
    try {
      await api('/api/run', body);
      done(what, true);
    } catch (e) {
      done((e as Error).message, false);
    }
  };
  return html`<div class="toolbar" role="toolbar" aria-label="run control" data-testid="run-control">
    <button disabled=${run.running} onClick=${() => act({ action: 'run' }, 'running')}>Run</button>
    <button disabled=${!run.running} onClick=${() => act({ action: 'pause' }, 'paused')}>Pause</button>
    <button title="advance one tick (paused)" onClick=${() => act({ action: 'step' }, 'stepped one tick')}>Step</button>
    <button title="build the circuit again from its initial state (live edits kept, undo history cleared)" onClick=${() => act({ action: 'reset' }, 'reset to the initial state')}>Reset</button>
    <label for="run-speed">speed</label>
    <select id="run-speed" value=${run.speed} onChange=${(e: Event) => act({ speed: (e.target as HTMLSelectElement).value }, 'speed changed')}>
      <option value="realtime">real time</option>
      <option value="fast">as fast as possible</option>
    </select>
    <span class="muted" data-testid="run-state" role="status" aria-label="run state">${run.running ? 'running' : 'paused'}</span>
  </div>`;
}

/** The component browser: circuits of installed Flux packages, each insertable as a module. */
function Components({ done }: { done: (text: string, ok: boolean) => void }) {
  const [list, setList] = useState<InstalledCircuit[] | null>(null);
  const [prefixes, setPrefixes] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<InstalledCircuit[]>('/api/packages').then(setList, (e: Error) => done(`cannot list packages: ${e.message}`, false));
  }, []);
  const insert = async (c: InstalledCircuit) => {
    const prefix = prefixes[c.module] ?? c.circuit.replace(/[^A-Za-z0-9_]/g, '_');
    setBusy(true);
    done(`inserting ${c.module} as ${prefix} (the engine is rebuilt; the robot gets its safe command meanwhile)…`, true);
    try {
      const r = await api<{ file: string }>('/api/insert', { module: c.module, prefix, version: `^${c.version}` });
      done(`inserted ${c.module} as ${prefix} into ${r.file}`, true);
    } catch (e) {
      done((e as Error).message, false);
    } finally {
      setBusy(false);
    }
  };
  return html`<details data-testid="components">
    <summary>Components (installed packages)</summary>
    ${list === null ? html`<p class="muted">Loading…</p>` : list.length === 0 ? html`<p class="muted">No Flux packages installed here (flux add &lt;package&gt;).</p>` : null}
    <table class="io">
      ${(list ?? []).map(
        (c) => html`<tr key=${c.module} data-testid=${`component-${c.module}`} title=${c.problem ?? c.description ?? ''}>
          <td><b>${c.module}</b> <small class="muted">${c.version}</small></td>
          <td class="num">${c.populations} pop, ${c.neurons} n</td>
          <td class="muted">${c.ports.join(', ')}</td>
          <td><input size="8" aria-label=${`prefix for ${c.module}`} data-testid=${`prefix-${c.module}`} value=${prefixes[c.module] ?? c.circuit.replace(/[^A-Za-z0-9_]/g, '_')} onInput=${(e: Event) => setPrefixes({ ...prefixes, [c.module]: (e.target as HTMLInputElement).value })} /></td>
          <td><button data-testid=${`insert-${c.module}`} disabled=${busy || !!c.problem} aria-label=${`Include module ${c.module}`} onClick=${() => insert(c)}>Include module</button></td>
        </tr>`,
      )}
    </table>
  </details>`;
}

export function Editor({ live }: { live: Live }) {
  const [view, setView] = useState<CircuitView | null>(null);
  const [selection, setSelection] = useState<Selection>(null);
  const [error, setError] = useState<string | null>(null);
  const [issues, setIssues] = useState<Issues>([]);
  const [status, setStatusText] = useState({ text: '', ok: true });
  /** Saves done: the bridge view rereads whether its bindings are saved. */
  const [saves, setSaves] = useState(0);
  const setStatus = (text: string, ok = true) => setStatusText({ text, ok });
  const reload = async () => {
    try {
      setView(await api<CircuitView>('/api/circuit'));
    } catch (e) {
      setError(`cannot read the circuit: ${(e as Error).message}`);
    }
  };
  useEffect(() => {
    void reload();
    return live.onCircuit(() => void reload());
  }, [live]);
  // Re-render with the rates at the telemetry's pace.
  const [, tick] = useState(0);
  useEffect(() => live.onChange(() => tick((n) => n + 1)), [live]);

  /** Sends an edit; shows the server's message when it is refused. Returns whether it applied. */
  const edit = async (label: string, body: unknown): Promise<boolean> => {
    if (body && typeof body === 'object' && 'error' in body) {
      setError((body as { error: string }).error);
      setStatus('');
      return false;
    }
    setStatus(`${label}…`);
    try {
      const r = await api<{ notes?: string[] }>('/api/edit', body);
      setError(null);
      setIssues([]);
      setStatus(`applied: ${label}${r.notes?.length ? ` (${r.notes.join('; ')})` : ''}`);
      await reload();
      return true;
    } catch (e) {
      setError((e as Error).message);
      setIssues(e instanceof ApiError ? e.issues : []);
      setStatus(`refused: ${label}`, false);
      return false;
    }
  };
  const undo = async () => {
    try {
      // Undoing an element builds the engine again: spaced as any rebuild, retried once.
      const r = await rebuildApi<{ undone: string; lost: string[] }>('/api/undo', {});
      setError(null);
      setStatus(`undone: ${r.undone}${r.lost.length ? ` (not restored: ${r.lost.join(', ')})` : ''}`);
      await reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  /** A panel's result: shown as the status, or as the error with "refused: <what>"; `reloadAfter` refetches the circuit. */
  const report = (what: string, reloadAfter: boolean) => (text: string, ok: boolean) => {
    if (ok) {
      setError(null);
      setStatus(text);
    } else {
      setError(text);
      setStatus(what ? `refused: ${what}` : 'refused', false);
    }
    if (reloadAfter) void reload();
  };
  const redo = async () => {
    try {
      const r = await rebuildApi<{ redone: string }>('/api/redo', {});
      setError(null);
      setStatus(`redone: ${r.redone}`);
      await reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const save = async () => {
    try {
      const r = await api<{ file: string; changed: string[]; bridge: string | null }>('/api/save', {});
      setSaves((n) => n + 1);
      setError(null);
      setStatus(
        `saved ${r.file}${r.changed.length ? ` (${r.changed.length} changed: ${r.changed.join(', ')})` : ' (no changes)'}${r.bridge ? ` and the bindings to ${r.bridge}` : ''}`,
      );
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (!view)
    return html`<section><h2>Circuit</h2>${error ? html`<div class="error" role="alert" data-testid="edit-error">${error}</div>` : 'Loading…'}</section>`;
  return html`<section>
    <h2><span class="grow">Circuit <span style="text-transform:none;color:var(--ink)">${view.name}</span> <span class="muted" style="text-transform:none">${view.file}</span></span></h2>
    <div class="toolbar">
      <button data-testid="undo" aria-label="Undo" disabled=${view.undo.depth === 0} title=${view.undo.next ?? 'nothing to undo'} onClick=${undo}>Undo${view.undo.next ? `: ${view.undo.next}` : ''}</button>
      <button data-testid="redo" aria-label="Redo" disabled=${view.redo.depth === 0} title=${view.redo.next ?? 'nothing to redo'} onClick=${redo}>Redo${view.redo.next ? `: ${view.redo.next}` : ''}</button>
      <button data-testid="save" onClick=${save} title="write the running circuit back to its file">Save</button>
      <${NewCircuit} done=${report('new circuit', true)} />
      <span class="muted" data-testid="summary">${view.populations.length} populations, ${view.projections.length} projections, ${view.populations.reduce((a, p) => a + p.size, 0)} neurons</span>
    </div>
    <${RunControls} live=${live} done=${report('run control', false)} />
    <div class=${status.ok ? 'note' : 'note bad'} data-testid="edit-status" role="status" aria-label="edit status">${status.text}</div>
    ${error ? html`<div class="error" role="alert" data-testid="edit-error">${error}</div>` : null}
    <${Graph} view=${view} live=${live} selection=${selection} select=${setSelection} />
    <div style="margin-top:8px">
      ${
        selection?.kind === 'population'
          ? html`<${PopulationPanel} view=${view} name=${selection.name} edit=${edit} live=${live} done=${report('trace', false)} />`
          : selection?.kind === 'projection'
            ? html`<${ProjectionPanel} view=${view} name=${selection.name} edit=${edit} />`
            : html`<p class="muted">Select a population or a projection in the graph to see and edit it. Click a module's name to collapse or expand it.</p>`
      }
    </div>
    <${AddPopulation} view=${view} edit=${edit} issues=${issues} />
    <${AddProjection} view=${view} edit=${edit} issues=${issues} />
    <${ElementForm} issues=${issues} setIssues=${setIssues} done=${report('', true)} />
    <${Components} done=${report('insert', true)} />
    <${BridgeEditor} live=${live} done=${report('binding', false)} saved=${saves} />
  </section>`;
}
