// Form pieces every editor panel uses: fields labelled with the document's own field names, with the
// checker's message for the field under it; values read as YAML, as a document writes them.
import { cloneElement, isValidElement } from 'preact';
import { parse as parseYaml } from 'yaml';
import { html } from './views.js';

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

/** A field's value as YAML: "6 nS" stays a string, "0.02" is a number, "{ normal: { mean: -65 mV, sd: 5 mV } }" a distribution. */
export function parseField(name: string, text: string): unknown {
  try {
    return parseYaml(text);
  } catch (e) {
    throw new Error(`${name}: cannot read "${text.trim()}" (${(e as Error).message.split('\n')[0]})`, { cause: e });
  }
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
 */
export function Field({ id, label, problems = [], children }: { id: string; label: string; problems?: string[]; children: unknown }) {
  const bad = problems.length > 0;
  // The field says it is invalid and where the message is (screen readers read it with the field).
  const field =
    bad && isValidElement(children) ? cloneElement(children, { 'aria-invalid': 'true', 'aria-describedby': `${id}-problem` }) : children;
  return html`<label for=${id}>${label}</label>${field}${
    bad
      ? html`<div class="field-error" role="alert" aria-label=${`${label}: problem`} id=${`${id}-problem`}>${problems.join('; ')}</div>`
      : null
  }`;
}

/** The messages about the element at `path` itself, not one of its fields (no such input, say). */
export function issuesExactlyAt(issues: Issues, path: string): string[] {
  return issues.filter((i) => i.path === path).map((i) => i.message);
}

/** A document value as a field's text: objects and lists as flow YAML (which JSON is), nothing as empty. */
export function fieldText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
