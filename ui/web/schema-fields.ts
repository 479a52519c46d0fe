// The fields of a document element drawn from its schema (ui/web/schema-draft.ts says how each is
// edited): a sub-form is a group named by its path ("projection connectivity"), a list's items groups
// with their number and a Remove button, an either-or a choice of its forms. Each field shows its own
// name and is named by its path ("connectivity p", "sources 1 population"), the checker's message for
// that path under it.
import { Field, Problems, issuesAt, issuesExactlyAt, type Issues } from './form.js';
import { draftOf, shapeOf, type Draft, type PropSchema } from './schema-draft.js';
import { html } from './views.js';

interface Props {
  schema: PropSchema;
  draft: Draft;
  onChange: (d: Draft) => void;
  /** Keys and item indices from the element (its JSON path below `base`). */
  at: (string | number)[];
  /** The element's JSON path (`/projections/loop`), where the checker's issues are. */
  base: string;
  /** What the element is ("projection"), naming its groups. */
  one: string;
  issues: Issues;
  depth: number;
  /** An object's fields without a group of their own (a list item, which is its group). */
  bare?: boolean;
  /** What the fields' ids start with (unique on the page: two forms may have a field of one name). */
  idPrefix?: string;
}

/** A path as words: ["sources", 0, "population"] -> "sources 1 population". */
const words = (at: (string | number)[]) => at.map((x) => (typeof x === 'number' ? String(x + 1) : x)).join(' ');

export function SchemaFields(props: Props): unknown {
  const { schema, draft, onChange, at, base, one, issues, depth } = props;
  const shape = shapeOf(schema, depth);
  const name = words(at);
  const key = at.length ? String(at[at.length - 1]) : one;
  const id = `${props.idPrefix ?? 'element'}-${at.join('-')}`;
  if (shape.k === 'object' && draft.t === 'object') {
    const fields = shape.props.map(
      ([k, p]) =>
        html`<${SchemaFields} key=${k} ...${props} schema=${p} draft=${draft.fields[k] ?? draftOf(p, undefined, depth + 1)}
        onChange=${(d: Draft) => onChange({ t: 'object', fields: { ...draft.fields, [k]: d } })} at=${[...at, k]} depth=${depth + 1} bare=${false} />`,
    );
    if (!at.length || props.bare) return fields;
    // What the checker says of the sub-form as a whole (a rule without its parameter, say).
    const whole = issuesExactlyAt(issues, [base, ...at].join('/'));
    return html`<fieldset class="form sub" aria-label=${`${one} ${name}`}><legend>${key}</legend>
      <${Problems} name=${name} messages=${whole} />
      ${fields}</fieldset>`;
  }
  if (shape.k === 'list' && draft.t === 'list') {
    const problems = issuesExactlyAt(issues, [base, ...at].join('/'));
    const items = draft.items.map((d, i) => {
      const whole = issuesExactlyAt(issues, [base, ...at, i].join('/'));
      return html`<fieldset key=${i} class="form sub" aria-label=${`${one} ${name} ${i + 1}`}>
        <legend>${key} ${i + 1}</legend>
        <${Problems} name=${`${name} ${i + 1}`} messages=${whole} />
        <${SchemaFields} ...${props} schema=${shape.item} draft=${d} at=${[...at, i]} depth=${depth + 1} bare=${true}
          onChange=${(x: Draft) => onChange({ t: 'list', items: draft.items.map((y, j) => (j === i ? x : y)) })} />
        <button class="danger" aria-label=${`Remove ${name} ${i + 1}`} onClick=${() => onChange({ t: 'list', items: draft.items.filter((_, j) => j !== i) })}>Remove</button>
      </fieldset>`;
    });
    return html`<fieldset class="form sub" aria-label=${`${one} ${name}`}><legend>${key}</legend>
      <${Problems} name=${name} messages=${problems} />
      ${items}
      <button aria-label=${`Add to ${name}`} title=${schema.description ?? ''} onClick=${() => onChange({ t: 'list', items: [...draft.items, draftOf(shape.item, undefined, depth + 1)] })}>Add to ${name}</button>
    </fieldset>`;
  }
  if (shape.k === 'map' && draft.t === 'map') {
    const entries = draft.entries;
    const put = (i: number, e: { key: string; value: Draft }) => onChange({ t: 'map', entries: entries.map((x, j) => (j === i ? e : x)) });
    const items = entries.map((e, i) => {
      // The value is named by its key once it has one ("params tau_m", "init v normal mean"), where the checker's issues are too.
      const valueAt = [...at, e.key.trim() || String(i + 1)];
      const keyId = `${id}-${i}-name`;
      return html`<fieldset key=${i} class="form sub" aria-label=${`${one} ${name} ${i + 1}`}>
        <legend>${key} ${i + 1}</legend>
        <${Field} id=${keyId} label="name" name=${`${name} ${i + 1} name`}>
          <input id=${keyId} value=${e.key} onInput=${(ev: Event) => put(i, { ...e, key: (ev.target as HTMLInputElement).value })} /><//>
        <${SchemaFields} ...${props} schema=${shape.value} draft=${e.value} at=${valueAt} depth=${depth + 1} bare=${false}
          onChange=${(x: Draft) => put(i, { ...e, value: x })} />
        <button class="danger" aria-label=${`Remove ${name} ${i + 1}`} onClick=${() => onChange({ t: 'map', entries: entries.filter((_, j) => j !== i) })}>Remove</button>
      </fieldset>`;
    });
    const whole = issuesExactlyAt(issues, [base, ...at].join('/'));
    return html`<fieldset class="form sub" aria-label=${`${one} ${name}`}><legend>${key}</legend>
      <${Problems} name=${name} messages=${whole} />
      ${items}
      <button aria-label=${`Add to ${name}`} title=${schema.description ?? ''} onClick=${() => onChange({ t: 'map', entries: [...entries, { key: '', value: draftOf(shape.value, undefined, depth + 1) }] })}>Add to ${name}</button>
    </fieldset>`;
  }
  if (shape.k === 'either' && draft.t === 'either') {
    const form = shape.forms[draft.pick] ?? shape.forms[0];
    const choose = (e: Event) => onChange({ ...draft, pick: Number((e.target as HTMLSelectElement).value) });
    // The chosen form's fields carry this property's name: a value typed in the "value" form is `weight`.
    return html`<${Field} id=${`${id}-as`} label=${`${key} as`} name=${`${name} as`}>
        <select id=${`${id}-as`} value=${String(draft.pick)} onChange=${choose} title=${schema.description ?? ''}>
          ${shape.forms.map((f, i) => html`<option key=${i} value=${String(i)}>${f.label}</option>`)}
        </select><//>
      <${SchemaFields} ...${props} schema=${form.schema} draft=${draft.drafts[draft.pick] ?? draftOf(form.schema, undefined, depth + 1)} depth=${depth + 1}
        onChange=${(d: Draft) => onChange({ ...draft, drafts: draft.drafts.map((x, i) => (i === draft.pick ? d : x)) })} />`;
  }
  const problems = issuesAt(issues, [base, ...at].join('/'));
  const text = draft.t === 'text' ? draft.text : '';
  const set = (e: Event) => onChange({ t: 'text', text: (e.target as HTMLInputElement).value });
  const hint = schema.description ?? '';
  const control =
    shape.k === 'choice' || shape.k === 'bool'
      ? html`<select id=${id} value=${text} onChange=${set} title=${hint}><option value="">(none)</option>${(shape.k === 'bool' ? ['true', 'false'] : shape.options).map((x) => html`<option key=${x} value=${x}>${x}</option>`)}</select>`
      : shape.k === 'text' || shape.k === 'string'
        ? html`<input id=${id} value=${text} onInput=${set} title=${hint} />`
        : html`<textarea id=${id} rows=${shape.k === 'lines' ? 4 : 2} value=${text} onInput=${set} title=${hint} placeholder=${shape.k === 'yaml' ? `YAML${hint ? `: ${hint}` : ''}` : hint}></textarea>`;
  // A top-level field is named by its label; a nested one by its path.
  return html`<${Field} id=${id} label=${key} name=${at.length > 1 ? name : undefined} problems=${problems}>${control}<//>`;
}
