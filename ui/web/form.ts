// Form pieces every editor panel uses: fields labelled with the document's own field names, with the
// checker's message for the field under it; values read as YAML, as a document writes them.
import { cloneElement, isValidElement } from 'preact';
import { html } from './views.js';
import { parseField } from './schema-draft.js';
export { fieldText, parseField } from './schema-draft.js';

type Quantity = number | string;

/** "400 pA" stays a string (a quantity with a unit), "0.5" becomes a number. */
export function parseValue(text: string): Quantity {
  const t = text.trim();
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : t;
}

/** "i_offset: 400 pA, tau_m = 10 ms" (commas or new lines) -> { i_offset: '400 pA', tau_m: '10 ms' }. */
export function parseParams(text: string): Record<string, Quantity> {
  const out: Record<string, Quantity> = {};
  for (const part of text.split(/[\n,;]+/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*[:=]\s*(.+?)\s*$/.exec(part);
    if (m) out[m[1]] = parseValue(m[2]);
    else if (part.trim()) throw new Error(`cannot read "${part.trim()}": write name: value (e.g. i_offset: 400 pA)`);
  }
  return out;
}

/** A field for a mapping ("v: { normal: ... }" on lines of their own): an object, or nothing when empty. */
export function parseMapping(name: string, text: string): Record<string, unknown> | undefined {
  if (!text.trim()) return undefined;
  // "i_offset: 400 pA, tau_m: 10 ms": plain values may also be separated by commas (not YAML).
  if (!/[{}[\]]/.test(text)) return parseParams(text);
  const v = parseField(name, text);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${name}: expected "name: value" lines`);
  return v as Record<string, unknown>;
}

/** The checker's issues of the last refused edit, by JSON path (`/projections/ee/connectivity/p`). */
export type Issues = { path: string; message: string }[];

/** The messages of the issues at one of `paths` or under it. */
export function issuesAt(issues: Issues, ...paths: string[]): string[] {
  return issues.filter((i) => paths.some((p) => i.path === p || i.path.startsWith(`${p}/`))).map((i) => i.message);
}

/**
 * A labelled field of a form: the label is the document's own field name (what scripts and screen
 * readers find); the checker's message for it, when the last edit was refused there, right under it.
 * A field inside a sub-form shows its own name but is named by its path (`name`, "connectivity p"),
 * so that two fields called `type` on one form stay two names.
 */
export function Field({
  id,
  label,
  name,
  problems = [],
  children,
}: {
  id: string;
  label: string;
  name?: string;
  problems?: string[];
  children: unknown;
}) {
  const bad = problems.length > 0;
  const attrs: Record<string, string> = {};
  if (name) attrs['aria-label'] = name;
  // The field says it is invalid and where the message is (screen readers read it with the field).
  if (bad) Object.assign(attrs, { 'aria-invalid': 'true', 'aria-describedby': `${id}-problem` });
  const field = Object.keys(attrs).length && isValidElement(children) ? cloneElement(children, attrs) : children;
  // With a path name the visible name is no <label>: a label's text would name the field too.
  const shown = name ? html`<span class="field-name">${label}</span>` : html`<label for=${id}>${label}</label>`;
  return html`${shown}${field}<${Problems} name=${name ?? label} messages=${problems} id=${`${id}-problem`} />`;
}

/** The checker's messages about `name`, where the form shows it (a screen reader announces them); nothing without any. */
export function Problems({ name, messages, id }: { name: string; messages: string[]; id?: string }) {
  return messages.length
    ? html`<div class="field-error" role="alert" aria-label=${`${name}: problem`} id=${id}>${messages.join('; ')}</div>`
    : null;
}

/** The messages about the element at `path` itself, not one of its fields (no such input, say). */
export function issuesExactlyAt(issues: Issues, path: string): string[] {
  return issues.filter((i) => i.path === path).map((i) => i.message);
}
