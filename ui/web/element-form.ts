// Every element of a document (a population, projection, model, modulator, source, input, output,
// module or port)
// as a form generated from the circuit schema's element (one definition: the fields, their names,
// choices and descriptions are the schema's; ui/web/schema-fields.ts draws them): a connectivity rule,
// a plasticity rule or a synapse a sub-form, a modulator's sources and targets lists of sub-forms, a
// weight or delay a value or a distribution. Choosing an existing name loads it to edit. The engine is
// built again with the element (the robot's safe command first), live edits kept; the checker's
// messages show at the field they are about.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, rebuildApi } from './live.js';
import { Field, issuesExactlyAt, type Issues } from './form.js';
import { draftOf, formValue, type Draft, type PropSchema } from './schema-draft.js';
import { SchemaFields } from './schema-fields.js';
import { EquationsHelp } from './equations-help.js';
import { html } from './views.js';

/** One element of a section: "populations" -> "population" (every section's name is its plural with s). */
const oneOf = (section: string) => section.slice(0, -1);

export function ElementForm({
  done,
  issues,
  setIssues,
}: {
  done: (text: string, ok: boolean) => void;
  issues: Issues;
  setIssues: (i: Issues) => void;
}) {
  const [schemas, setSchemas] = useState<Record<string, PropSchema> | null>(null);
  const [section, setSection] = useState('models');
  const [name, setName] = useState('');
  const [draft, setDraft] = useState<Draft | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<Record<string, PropSchema>>('/api/schema/elements')
      .then(setSchemas)
      .catch((e: unknown) => done(`cannot read the element schemas: ${(e as Error).message}`, false));
  }, []);
  const schema = schemas?.[section];
  // The form's state: the text of every field, the items of every list, the chosen form of every either-or.
  const form = draft ?? (schema ? draftOf(schema, undefined) : null);
  const one = oneOf(section);
  // "Add population" and "Add projection" are the New forms' (live edits); here a whole one is set by a rebuild.
  // A module is "Include module"'s (a package circuit); here one is set whole: its file, override, version.
  const verb = section === 'populations' || section === 'projections' || section === 'modules' ? 'Set' : 'Add';
  const load = async () => {
    try {
      const r = await api<{ value: Record<string, unknown> }>(`/api/element?section=${section}&name=${encodeURIComponent(name.trim())}`);
      if (schema) setDraft(draftOf(schema, r.value));
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
    if (!schema || !form) return;
    const r = formValue(schema, form);
    if ('error' in r) return done(r.error, false);
    await send(r.value, `${one} ${name.trim()}`);
  };
  const base = `/${section}/${name.trim()}`;
  return html`<details data-testid="element-editor">
    <summary>Every element: models, modulators, sources, inputs, outputs, modules, ports</summary>
    <p class="muted">Any element of the document by its fields; Load fills them from the running circuit. Setting one builds the whole network again from its document: every population's state and every learnt weight start afresh.</p>
    <div class="form" role="group" aria-label="element">
      <${Field} id="element-section" label="section"><select id="element-section" value=${section} onChange=${(e: Event) => {
        setSection((e.target as HTMLSelectElement).value);
        setDraft(null);
      }}>
        ${Object.keys(schemas ?? {}).map((s) => html`<option key=${s} value=${s}>${s}</option>`)}
      </select><//>
      <${Field} id="element-name" label="name" problems=${issuesExactlyAt(issues, base)}><input id="element-name" value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} placeholder=${`e.g. my_${one}`} /><//>
      ${schema && form ? html`<${SchemaFields} schema=${schema} draft=${form} onChange=${setDraft} at=${[]} base=${base} one=${one} issues=${issues} depth=${0} />` : null}
    </div>
    ${section === 'models' ? html`<${EquationsHelp} />` : null}
    <button disabled=${busy} onClick=${submit}>${verb} ${one}</button>
    <button disabled=${busy || !name.trim()} onClick=${load} aria-label=${`Load ${one}`}>Load ${one}</button>
    <button class="danger" disabled=${busy} onClick=${() => send(null, `remove ${one} ${name.trim()}`)}>Remove ${one}</button>
  </details>`;
}
