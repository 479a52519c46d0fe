// The bridge editor: binds the circuit's inputs to topics of the live graph (topic list with types,
// field-path completion from the message definition) and its outputs to message fields (decoder terms,
// limits, safe values), or either to a serial device or board it declares (where the node drives
// hardware). Each binding is checked by the server as a whole bridge document, built and
// swapped in (the robot's safe command first); Save writes the bridge document with the circuit.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, rebuildApi, type Live } from './live.js';
import { Field, fieldText, issuesAt, issuesExactlyAt, parseField, type Issues } from './form.js';
import { html } from './views.js';
import { draftOf, formValue, type Draft, type PropSchema } from './schema-draft.js';
import { SchemaFields } from './schema-fields.js';

interface BridgeView {
  file: string;
  saved: boolean;
  inputs: Record<string, Record<string, unknown> & { topic?: string; type?: string; path?: string }>;
  outputs: Record<string, Record<string, unknown> & { topic?: string; type?: string; values?: Record<string, unknown> }>;
  devices: Record<string, Record<string, unknown>>;
  /** Whether this node drives hardware (flux run), so that devices may be declared and bound. */
  devicesAllowed: boolean;
  topics: { name: string; types: string[] }[] | null;
  types: string[];
  circuitInputs: string[];
  populations: string[];
}

interface FieldInfo {
  path: string;
  type: string;
  numeric: boolean;
}

type Done = (text: string, ok: boolean) => void;

/** The field paths of a message type (fetched once per type). */
function useFields(type: string): FieldInfo[] {
  const [fields, setFields] = useState<FieldInfo[]>([]);
  useEffect(() => {
    if (!/^[A-Za-z][\w]*\/(msg\/)?[A-Za-z]\w*$/.test(type.trim())) return void setFields([]);
    let stale = false;
    api<FieldInfo[]>(`/api/fields?type=${encodeURIComponent(type.trim())}`)
      .then((f) => !stale && setFields(f))
      .catch(() => !stale && setFields([]));
    return () => void (stale = true);
  }, [type]);
  return fields;
}

/** The topic's type when the graph knows exactly one. */
function typeOfTopic(view: BridgeView, topic: string): string | null {
  const t = topic.trim();
  const found = view.topics?.find((x) => x.name === t || x.name === `/${t}`);
  return found && found.types.length === 1 ? found.types[0] : null;
}

function TopicList({ id, view }: { id: string; view: BridgeView }) {
  return html`<datalist id=${id}>${(view.topics ?? []).map((t) => html`<option key=${t.name} value=${t.name}>${t.types.join(', ')}</option>`)}</datalist>`;
}

function TypeList({ id, view }: { id: string; view: BridgeView }) {
  return html`<datalist id=${id}>${view.types.map((t) => html`<option key=${t} value=${t} />`)}</datalist>`;
}

function FieldList({ id, fields, numericOnly }: { id: string; fields: FieldInfo[]; numericOnly?: boolean }) {
  return html`<datalist id=${id}>${fields
    .filter((f) => !numericOnly || f.numeric)
    .map((f) => html`<option key=${f.path} value=${f.path}>${f.type}</option>`)}</datalist>`;
}

/** Sends one binding; the checker's issues come back for the fields. */
async function bind(
  section: 'inputs' | 'outputs' | 'devices',
  name: string,
  value: unknown,
  done: Done,
  setIssues: (i: Issues) => void,
): Promise<boolean> {
  const what = `${value === null ? 'unbind' : 'bind'} ${{ inputs: 'input', outputs: 'output', devices: 'device' }[section]} ${name}`;
  done(`${what}… (the engine is built again; the robot gets its safe command meanwhile)`, true);
  try {
    await rebuildApi('/api/binding', { section, name, value });
    setIssues([]);
    done(`${what}: done`, true);
    return true;
  } catch (e) {
    setIssues(e instanceof ApiError ? e.issues : []);
    done((e as Error).message, false);
    return false;
  }
}

/** The messages about a value's field path itself: those not under its terms or limits. */
function fieldOnly(issues: Issues, path: string): string[] {
  return issues
    .filter(
      (i) =>
        (i.path === path || i.path.startsWith(`${path}/`)) && !i.path.startsWith(`${path}/terms`) && !i.path.startsWith(`${path}/limits`),
    )
    .map((i) => i.message);
}

/** `doc` without `keys`: what a form does not edit, kept when the binding is set again. */
function rest(doc: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(doc).filter(([k]) => !keys.includes(k)));
}

const INPUT_KEYS = ['topic', 'type', 'path', 'qos', 'device', 'field', 'encoder', 'timeout', 'valid'] as const;
const OUTPUT_KEYS = ['device', 'topic', 'type', 'rate', 'requires', 'values'] as const;
const LIMIT_KEYS = ['min', 'max', 'slew_rate', 'safe'] as const;

/** YAML of a field, or undefined when it is empty; an error names the field. */
function optional(name: string, text: string): unknown {
  return text.trim() ? parseField(name, text) : undefined;
}

function withoutEmpty(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));
}

function BindInput({ view, done, reload }: { view: BridgeView; done: Done; reload: () => void }) {
  const [f, setF] = useState({
    name: '',
    topic: '',
    type: '',
    path: '',
    qos: 'sensor',
    device: '',
    field: '',
    encoder: '',
    timeout: '',
    valid: '',
  });
  const [kept, setKept] = useState<Record<string, unknown>>({});
  const [issues, setIssues] = useState<Issues>([]);
  const fields = useFields(f.type);
  const bound = Object.hasOwn(view.inputs, f.name) ? view.inputs[f.name] : null;
  const load = () => {
    if (!bound) return;
    setF({
      name: f.name,
      topic: fieldText(bound.topic),
      type: fieldText(bound.type),
      path: fieldText(bound.path),
      qos: typeof bound.qos === 'string' ? bound.qos : 'sensor',
      device: fieldText(bound.device),
      field: fieldText(bound.field),
      encoder: fieldText(bound.encoder),
      timeout: fieldText(bound.timeout),
      valid: fieldText(bound.valid),
    });
    // What the form does not edit (an object qos, fields, ...) is kept when it is bound again.
    setKept({ ...rest(bound, INPUT_KEYS), ...(typeof bound.qos === 'object' ? { qos: bound.qos } : {}) });
  };
  const set = (k: keyof typeof f) => (e: Event) => {
    const v = (e.target as HTMLInputElement).value;
    // A topic the graph knows brings its type.
    if (k === 'topic') setF({ ...f, topic: v, type: typeOfTopic(view, v) ?? f.type });
    else setF({ ...f, [k]: v });
    if (k === 'name') setKept({});
  };
  const at = (field: string) => issuesAt(issues, `/inputs/${f.name.trim()}${field}`);
  const submit = async () => {
    let value: Record<string, unknown>;
    try {
      // A device's field, or a topic's message field.
      const source = f.device
        ? { device: f.device, field: f.field.trim() }
        : { topic: f.topic.trim(), type: f.type.trim(), path: f.path.trim(), qos: typeof kept.qos === 'object' ? kept.qos : f.qos };
      value = withoutEmpty({
        ...kept,
        ...source,
        encoder: optional('encoder', f.encoder),
        timeout: f.timeout.trim(),
        valid: optional('valid', f.valid),
      });
    } catch (e) {
      done((e as Error).message, false);
      return;
    }
    if (await bind('inputs', f.name.trim(), value, done, setIssues)) reload();
  };
  const remove = async () => void ((await bind('inputs', f.name.trim(), null, done, setIssues)) && reload());
  return html`<details data-testid="bind-input">
    <summary>Bind an input to a topic</summary>
    <div class="form" role="group" aria-label="input binding">
      <${Field} id="bind-in-name" label="name" problems=${issuesExactlyAt(issues, `/inputs/${f.name.trim()}`)}>
        <select id="bind-in-name" value=${f.name} onChange=${set('name')}>
          <option value="">(a circuit input)</option>
          ${view.circuitInputs.map((n) => html`<option key=${n} value=${n}>${n}</option>`)}
        </select><//>
      ${
        view.devicesAllowed
          ? html`<${Field} id="bind-in-device" label="device" problems=${at('/device')}><select id="bind-in-device" value=${f.device} onChange=${set('device')}>
                <option value="">(none: a topic)</option>${Object.keys(view.devices).map((d) => html`<option key=${d} value=${d}>${d}</option>`)}
              </select><//>
              <${Field} id="bind-in-field" label="field" problems=${at('/field')}><input id="bind-in-field" value=${f.field} onInput=${set('field')} placeholder="one of the device's inputs" /><//>`
          : null
      }
      ${
        // A device's field takes the place of a topic's message field.
        f.device
          ? null
          : html`<${Field} id="bind-in-topic" label="topic" problems=${at('/topic')}><input id="bind-in-topic" list="bind-topics" value=${f.topic} onInput=${set('topic')} placeholder=${view.topics ? 'a topic of the graph' : 'e.g. scan'} /><//>
            <${Field} id="bind-in-type" label="type" problems=${at('/type')}><input id="bind-in-type" list="bind-types" value=${f.type} onInput=${set('type')} placeholder="e.g. sensor_msgs/msg/LaserScan" /><//>
            <${Field} id="bind-in-path" label="path" problems=${at('/path')}><input id="bind-in-path" list="bind-in-fields" value=${f.path} onInput=${set('path')} placeholder="e.g. ranges[80:280]" /><//>
            <${Field} id="bind-in-qos" label="qos" problems=${at('/qos')}><select id="bind-in-qos" value=${f.qos} onChange=${set('qos')}><option value="sensor">sensor</option><option value="default">default</option></select><//>`
      }
      <${Field} id="bind-in-encoder" label="encoder" problems=${at('/encoder')}><textarea id="bind-in-encoder" rows="2" value=${f.encoder} onInput=${set('encoder')} placeholder="e.g. { current: { min: 1.0, max: 0.15, current_max: 1 } }"></textarea><//>
      <${Field} id="bind-in-timeout" label="timeout" problems=${at('/timeout')}><input id="bind-in-timeout" value=${f.timeout} onInput=${set('timeout')} placeholder="e.g. 200 ms" /><//>
      <${Field} id="bind-in-valid" label="valid" problems=${at('/valid')}><input id="bind-in-valid" value=${f.valid} onInput=${set('valid')} placeholder="e.g. [0, 100]" /><//>
    </div>
    <${TopicList} id="bind-topics" view=${view} />
    <${TypeList} id="bind-types" view=${view} />
    <${FieldList} id="bind-in-fields" fields=${fields} numericOnly=${true} />
    <button onClick=${submit}>Bind input</button>
    <button disabled=${!bound} onClick=${load}>Load input</button>
    <button class="danger" onClick=${remove}>Unbind input</button>
  </details>`;
}

interface ValueRow {
  field: string;
  terms: string;
  min: string;
  max: string;
  slew_rate: string;
  safe: string;
}

const EMPTY_ROW: ValueRow = { field: '', terms: '', min: '', max: '', slew_rate: '', safe: '0' };

/** A bound output as the form shows it, and what the form does not edit (kept when it is bound again). */
function outputForm(bound: Record<string, unknown>) {
  const values = (bound.values ?? {}) as Record<string, Record<string, unknown>>;
  const limitsOf = (v: Record<string, unknown>) => (v.limits ?? {}) as Record<string, unknown>;
  return {
    form: {
      device: fieldText(bound.device),
      topic: fieldText(bound.topic),
      type: fieldText(bound.type),
      rate: fieldText(bound.rate),
      requires: Array.isArray(bound.requires) ? bound.requires.join(', ') : '',
    },
    rows: Object.entries(values).map(([field, v]) => {
      const l = limitsOf(v);
      return {
        field,
        terms: fieldText(v.terms),
        min: fieldText(l.min),
        max: fieldText(l.max),
        slew_rate: fieldText(l.slew_rate),
        safe: fieldText(l.safe),
      };
    }),
    // Keys the form does not edit (stamped, frame_id, a value's own extras and other limits).
    kept: {
      output: rest(bound, OUTPUT_KEYS),
      values: Object.fromEntries(
        Object.entries(values).map(([field, v]) => [field, { ...rest(v, ['terms', 'limits']), limits: rest(limitsOf(v), LIMIT_KEYS) }]),
      ),
    },
  };
}

function BindOutput({ view, done, reload }: { view: BridgeView; done: Done; reload: () => void }) {
  const [f, setF] = useState({ name: '', device: '', topic: '', type: '', rate: '50 Hz', requires: '' });
  const [rows, setRows] = useState<ValueRow[]>([{ ...EMPTY_ROW }]);
  const [kept, setKept] = useState<{ output: Record<string, unknown>; values: Record<string, Record<string, unknown>> }>({
    output: {},
    values: {},
  });
  const [issues, setIssues] = useState<Issues>([]);
  const fields = useFields(f.type);
  const set = (k: keyof typeof f) => (e: Event) => {
    const v = (e.target as HTMLInputElement).value;
    if (k === 'topic') setF({ ...f, topic: v, type: typeOfTopic(view, v) ?? f.type });
    else setF({ ...f, [k]: v });
    if (k === 'name') setKept({ output: {}, values: {} });
  };
  const name = f.name.trim();
  const bound = Object.hasOwn(view.outputs, name) ? view.outputs[name] : null;
  const load = () => {
    if (!bound) return;
    const l = outputForm(bound);
    setF({ name: f.name, ...l.form });
    setRows(l.rows);
    setKept(l.kept);
  };

  const setRow = (i: number, k: keyof ValueRow) => (e: Event) =>
    setRows(rows.map((r, j) => (j === i ? { ...r, [k]: (e.target as HTMLInputElement).value } : r)));
  const base = `/outputs/${name}`;
  const at = (field: string) => issuesAt(issues, `${base}${field}`);
  const submit = async () => {
    let value: Record<string, unknown>;
    try {
      const values: Record<string, unknown> = {};
      for (const r of rows) {
        if (!r.field.trim()) continue;
        const extra = kept.values[r.field.trim()] ?? {};
        const limits = withoutEmpty({
          ...((extra.limits ?? {}) as Record<string, unknown>),
          min: optional('min', r.min),
          max: optional('max', r.max),
          slew_rate: optional('slew_rate', r.slew_rate),
          safe: optional('safe', r.safe),
        });
        values[r.field.trim()] = withoutEmpty({
          ...rest(extra, ['limits']),
          terms: optional('terms', r.terms),
          limits: Object.keys(limits).length ? limits : undefined,
        });
      }
      const requires = f.requires
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      value = withoutEmpty({
        ...kept.output,
        ...(f.device ? { device: f.device } : { topic: f.topic.trim(), type: f.type.trim() }),
        rate: f.rate.trim(),
        requires: requires.length ? requires : undefined,
        values,
      });
    } catch (e) {
      done((e as Error).message, false);
      return;
    }
    if (await bind('outputs', f.name.trim(), value, done, setIssues)) reload();
  };
  const remove = async () => void ((await bind('outputs', f.name.trim(), null, done, setIssues)) && reload());
  return html`<details data-testid="bind-output">
    <summary>Bind an output to message fields</summary>
    <div class="form" role="group" aria-label="output binding">
      <${Field} id="bind-out-name" label="name" problems=${issuesExactlyAt(issues, base)}><input id="bind-out-name" value=${f.name} onInput=${set('name')} placeholder="e.g. cmd_vel" /><//>
      ${
        view.devicesAllowed
          ? html`<${Field} id="bind-out-device" label="device" problems=${at('/device')}><select id="bind-out-device" value=${f.device} onChange=${set('device')}>
              <option value="">(none: a topic)</option>${Object.keys(view.devices).map((d) => html`<option key=${d} value=${d}>${d}</option>`)}
            </select><//>`
          : null
      }
      ${
        f.device
          ? null
          : html`<${Field} id="bind-out-topic" label="topic" problems=${at('/topic')}><input id="bind-out-topic" list="bind-topics-out" value=${f.topic} onInput=${set('topic')} placeholder="e.g. cmd_vel" /><//>
            <${Field} id="bind-out-type" label="type" problems=${at('/type')}><input id="bind-out-type" list="bind-types-out" value=${f.type} onInput=${set('type')} placeholder="e.g. geometry_msgs/msg/Twist" /><//>`
      }
      <${Field} id="bind-out-rate" label="rate" problems=${at('/rate')}><input id="bind-out-rate" value=${f.rate} onInput=${set('rate')} /><//>
      <${Field} id="bind-out-requires" label="requires" problems=${at('/requires')}><input id="bind-out-requires" value=${f.requires} onInput=${set('requires')} placeholder="bound inputs, comma-separated: stale ones send the safe values" /><//>
    </div>
    ${rows.map(
      (r, i) => html`<div key=${i} class="form" role="group" aria-label=${`value ${i + 1}`}>
        <${Field} id=${`bind-out-field-${i}`} label="field" problems=${r.field.trim() ? fieldOnly(issues, `${base}/values/${r.field.trim()}`) : []}><input id=${`bind-out-field-${i}`} list="bind-out-fields" value=${r.field} onInput=${setRow(i, 'field')} placeholder="e.g. linear.x" /><//>
        <${Field} id=${`bind-out-terms-${i}`} label="terms" problems=${r.field.trim() ? at(`/values/${r.field.trim()}/terms`) : []}><textarea id=${`bind-out-terms-${i}`} rows="3" value=${r.terms} onInput=${setRow(i, 'terms')} placeholder=${'- { population: motor_left, decoder: { rate: { tau: 100 ms, rate_max: 100 Hz, min: 0, max: 1 } }, weight: 0.3 }'}></textarea><//>
        ${(['min', 'max', 'slew_rate', 'safe'] as const).map(
          (k) =>
            html`<${Field} key=${k} id=${`bind-out-${k}-${i}`} label=${k} problems=${r.field.trim() ? at(`/values/${r.field.trim()}/limits/${k}`) : []}><input id=${`bind-out-${k}-${i}`} value=${r[k]} onInput=${setRow(i, k)} /><//>`,
        )}
      </div>`,
    )}
    <${TopicList} id="bind-topics-out" view=${view} />
    <${TypeList} id="bind-types-out" view=${view} />
    <${FieldList} id="bind-out-fields" fields=${fields} numericOnly=${true} />
    <button onClick=${() => setRows([...rows, { ...EMPTY_ROW }])}>Add value</button>
    <button onClick=${submit}>Bind output</button>
    <button disabled=${!bound} onClick=${load}>Load output</button>
    <button class="danger" onClick=${remove}>Unbind output</button>
  </details>`;
}

/**
 * A serial device or Arduino board, declared by the bridge schema's own form of a device (ui/web/
 * schema-fields.ts): its port (a serial device node only, checked by the server), framing, the fields
 * it reads and the frame it writes. Bindings then name it as their device.
 */
function DeclareDevice({ view, done, reload }: { view: BridgeView; done: Done; reload: () => void }) {
  const [schema, setSchema] = useState<PropSchema | null>(null);
  const [name, setName] = useState('');
  const [draft, setDraft] = useState<Draft | null>(null);
  const [issues, setIssues] = useState<Issues>([]);
  useEffect(() => {
    api<PropSchema>('/api/schema/bridge-devices')
      .then(setSchema)
      .catch((e: unknown) => done(`cannot read the device schema: ${(e as Error).message}`, false));
  }, []);
  if (!schema) return null;
  const form = draft ?? draftOf(schema, undefined);
  const id = name.trim();
  const load = () => Object.hasOwn(view.devices, id) && setDraft(draftOf(schema, view.devices[id]));
  const submit = async () => {
    const r = formValue(schema, form);
    if ('error' in r) return done(r.error, false);
    if (await bind('devices', id, r.value, done, setIssues)) reload();
  };
  const remove = async () => void ((await bind('devices', id, null, done, setIssues)) && reload());
  return html`<details data-testid="declare-device">
    <summary>Declare a device</summary>
    <div class="form" role="group" aria-label="device">
      <${Field} id="device-name" label="name" problems=${issuesExactlyAt(issues, `/devices/${id}`)}><input id="device-name" value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} placeholder="e.g. ranger" /><//>
      <${SchemaFields} schema=${schema} draft=${form} onChange=${setDraft} at=${[]} base=${`/devices/${id}`} one="device" issues=${issues} depth=${0} idPrefix="device" />
    </div>
    <button onClick=${submit}>Declare device</button>
    <button disabled=${!Object.hasOwn(view.devices, id)} onClick=${load}>Load device</button>
    <button class="danger" onClick=${remove}>Remove device</button>
  </details>`;
}

/** The bridge section of the editor: what is bound now, and the two binding forms. */
export function BridgeEditor({ live, done, saved }: { live: Live; done: Done; saved: number }) {
  const [view, setView] = useState<BridgeView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () =>
    void api<BridgeView>('/api/bridge')
      .then((v) => {
        setView(v);
        setError(null);
      })
      .catch((e: unknown) => setError((e as Error).message));
  useEffect(() => {
    reload();
    return live.onCircuit(() => reload());
  }, [live]);
  // Save changes no circuit version: it tells this view to read whether the bindings are saved now.
  useEffect(() => void (saved && reload()), [saved]);
  if (error) return html`<p class="muted" data-testid="bridge-editor">Bridge: ${error}</p>`;
  if (!view) return null;
  const inputs = Object.entries(view.inputs);
  const outputs = Object.entries(view.outputs);
  return html`<section data-testid="bridge-editor" aria-label="bridge">
    <h3>Bridge <span class="muted" style="text-transform:none">${view.file}${view.saved ? '' : ' (bindings not saved yet: Save writes them)'}</span></h3>
    <ul class="bindings" aria-label="bindings">
      ${inputs.map(([n, b]) => html`<li key=${`i-${n}`}>input <b>${n}</b> ← ${b.topic ?? `device ${String(b.device)}`} <span class="muted">${b.type ?? ''} ${b.path ?? b.field ?? ''}</span></li>`)}
      ${outputs.map(([n, b]) => html`<li key=${`o-${n}`}>output <b>${n}</b> → ${b.topic ?? `device ${String(b.device)}`} <span class="muted">${b.type ?? ''} ${Object.keys(b.values ?? {}).join(', ')}</span></li>`)}
      ${Object.entries(view.devices).map(([n, d]) => html`<li key=${`d-${n}`}>device <b>${n}</b> <span class="muted">${Object.keys(d).join(', ')}</span></li>`)}
      ${inputs.length + outputs.length === 0 ? html`<li class="muted">nothing bound yet</li>` : null}
    </ul>
    ${view.topics === null ? html`<p class="muted">This transport does not list its topics: type the topic's name.</p>` : null}
    ${
      view.devicesAllowed
        ? html`<${DeclareDevice} view=${view} done=${done} reload=${reload} />`
        : html`<p class="muted">Devices: this node drives no hardware (flux edit, or beside the simulated robot); flux run drives the devices of its bridge document.</p>`
    }
    <${BindInput} view=${view} done=${done} reload=${reload} />
    <${BindOutput} view=${view} done=${done} reload=${reload} />
  </section>`;
}
