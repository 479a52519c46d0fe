// Models, modulators, sources, inputs and outputs, each as a form generated from the circuit schema's
// element (one definition: the fields, their names, choices and descriptions are the schema's): an
// enumeration is a choice, a multi-line text (equations, on_pre) a text area, a number or quantity a
// field, a nested object or list a YAML field. Choosing an existing name loads it to edit. The engine
// is built again with the element (the robot's safe command first), live edits kept; the checker's
// messages show at the field they are about.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, rebuildApi } from './live.js';
import { Field, fieldText, issuesAt, issuesExactlyAt, parseField, type Issues } from './form.js';
import { html } from './views.js';

interface PropSchema {
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  maxLength?: number;
  properties?: Record<string, PropSchema>;
  items?: PropSchema;
}
interface ElementSchema {
  properties?: Record<string, PropSchema>;
  required?: string[];
}

const SECTIONS = [
  { section: 'populations', one: 'population' },
  { section: 'projections', one: 'projection' },
  { section: 'models', one: 'model' },
  { section: 'modulators', one: 'modulator' },
  { section: 'sources', one: 'source' },
  { section: 'inputs', one: 'input' },
  { section: 'outputs', one: 'output' },
] as const;

type Kind = 'choice' | 'string' | 'text' | 'lines' | 'yaml';

/** How a property is edited: its schema decides. */
function kindOf(p: PropSchema): Kind {
  if (p.enum) return 'choice';
  const types = Array.isArray(p.type) ? p.type : [p.type];
  if (types.includes('object') || types.includes('array')) return 'yaml';
  // Long texts (equations, statements) keep their lines.
  if (types.includes('string') && !types.includes('number') && (p.maxLength ?? 0) >= 2000) return 'lines';
  // Names and descriptions are text as typed; numbers and quantities are read as YAML.
  if (types.length === 1 && types[0] === 'string') return 'string';
  return 'text';
}

/** A field's text as the document's value: choices, texts and lines as written, the rest read as YAML ("5 Hz" a string, 3 a number). */
function valueOf(kind: Kind, name: string, text: string): unknown {
  if (kind === 'choice' || kind === 'lines' || kind === 'string') return text;
  return parseField(name, text);
}

export function ElementForm({
  done,
  issues,
  setIssues,
}: {
  done: (text: string, ok: boolean) => void;
  issues: Issues;
  setIssues: (i: Issues) => void;
}) {
  const [schemas, setSchemas] = useState<Record<string, ElementSchema> | null>(null);
  const [section, setSection] = useState<(typeof SECTIONS)[number]['section']>('models');
  const [name, setName] = useState('');
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<Record<string, ElementSchema>>('/api/schema/elements')
      .then(setSchemas)
      .catch((e: unknown) => done(`cannot read the element schemas: ${(e as Error).message}`, false));
  }, []);
  const schema = schemas?.[section];
  const props = Object.entries(schema?.properties ?? {});
  const one = SECTIONS.find((s) => s.section === section)!.one;
  // "Add population" and "Add projection" are the New forms' (live edits); here a whole one is set by a rebuild.
  const verb = section === 'populations' || section === 'projections' ? 'Set' : 'Add';
  const load = async () => {
    try {
      const r = await api<{ value: Record<string, unknown> }>(`/api/element?section=${section}&name=${encodeURIComponent(name.trim())}`);
      setFields(Object.fromEntries(props.map(([k]) => [k, fieldText(r.value[k])])));
      done(`loaded ${one} ${name.trim()}`, true);
    } catch (e) {
      done((e as Error).message, false);
    }
  };
  const send = async (value: unknown, what: string) => {
    setBusy(true);
    done(`${what}… (the engine is built again; the robot gets its safe command meanwhile)`, true);
    try {
      await rebuildApi('/api/element', { section, name: name.trim(), value });
      setIssues([]);
      done(`${what}: done`, true);
    } catch (e) {
      setIssues(e instanceof ApiError ? e.issues : []);
      done((e as Error).message, false);
    } finally {
      setBusy(false);
    }
  };
  const submit = async () => {
    const value: Record<string, unknown> = {};
    try {
      for (const [k, p] of props) if ((fields[k] ?? '').trim()) value[k] = valueOf(kindOf(p), k, fields[k]);
    } catch (e) {
      done((e as Error).message, false);
      return;
    }
    await send(value, `${one} ${name.trim()}`);
  };
  const base = `/${section}/${name.trim()}`;
  const field = (k: string, p: PropSchema) => {
    const id = `element-${k}`;
    const kind = kindOf(p);
    const v = fields[k] ?? '';
    const on = (e: Event) => setFields({ ...fields, [k]: (e.target as HTMLInputElement).value });
    const problems = issuesAt(issues, `${base}/${k}`);
    const control =
      kind === 'choice'
        ? html`<select id=${id} value=${v} onChange=${on}><option value="">(none)</option>${p.enum!.map((x) => html`<option key=${String(x)} value=${String(x)}>${String(x)}</option>`)}</select>`
        : kind === 'text' || kind === 'string'
          ? html`<input id=${id} value=${v} onInput=${on} title=${p.description ?? ''} />`
          : html`<textarea id=${id} rows=${kind === 'lines' ? 4 : 2} value=${v} onInput=${on} title=${p.description ?? ''} placeholder=${kind === 'yaml' ? `YAML${p.description ? `: ${p.description}` : ''}` : (p.description ?? '')}></textarea>`;
    return html`<${Field} key=${k} id=${id} label=${k} problems=${problems}>${control}<//>`;
  };
  return html`<details data-testid="element-editor">
    <summary>Models, modulators, sources, inputs, outputs</summary>
    <p class="muted">Any element of the document by its fields; Load fills them from the running circuit. Setting one builds the whole network again from its document: every population's state and every learnt weight start afresh.</p>
    <div class="form" role="group" aria-label="element">
      <${Field} id="element-section" label="section"><select id="element-section" value=${section} onChange=${(e: Event) => {
        setSection((e.target as HTMLSelectElement).value as typeof section);
        setFields({});
      }}>
        ${SECTIONS.map((s) => html`<option key=${s.section} value=${s.section}>${s.section}</option>`)}
      </select><//>
      <${Field} id="element-name" label="name" problems=${issuesExactlyAt(issues, base)}><input id="element-name" value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} placeholder=${`e.g. my_${one}`} /><//>
      ${props.map(([k, p]) => field(k, p))}
    </div>
    <button disabled=${busy} onClick=${submit}>${verb} ${one}</button>
    <button disabled=${busy || !name.trim()} onClick=${load} aria-label=${`Load ${one}`}>Load ${one}</button>
    <button class="danger" disabled=${busy} onClick=${() => send(null, `remove ${one} ${name.trim()}`)}>Remove ${one}</button>
  </details>`;
}
