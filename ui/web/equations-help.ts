// The equations field's syntax help: the forms of a line (Brian2's), written here, and what a statement
// may name, read from the engine's tables (GET /api/equations-help), so it lists what the checker takes.
import { useState } from 'preact/hooks';
import { api } from './live.js';
import type { EquationsHelp as Help } from './protocol.js';
import { html } from './views.js';

const FORMS: [string, string][] = [
  ['dv/dt = (E_L - v)/tau : volt', 'a differential equation, its unit after the colon'],
  ['dv/dt = (E_L - v)/tau : volt (unless refractory)', 'held while the neuron is refractory'],
  ['I_leak = g_L*(E_L - v) : amp', 'a subexpression, computed from the others'],
  ['w : amp', 'a variable that only statements change (reset, on_pre)'],
  ['dv/dt = ... + sigma*xi*tau**-0.5 : volt', 'noise: xi (or xi_name), per neuron, in 1/sqrt(second)'],
  ['threshold: v > V_t', 'a condition: the neuron spikes when it turns true'],
  ['reset: v = E_L; w += b', 'statements, on lines or separated by ;'],
  ['refractory: 5 ms', 'a duration (or a condition)'],
];

export function EquationsHelp() {
  const [help, setHelp] = useState<Help | null>(null);
  const [error, setError] = useState<string | null>(null);
  const open = (e: Event) => {
    if (!(e.target as HTMLDetailsElement).open || help) return;
    api<Help>('/api/equations-help')
      .then(setHelp)
      .catch((x: unknown) => setError((x as Error).message));
  };
  const code = (s: string) => html`<code>${s}</code>`;
  const list = (xs: string[]) => xs.map((x, i) => html`${i ? ', ' : ''}${code(x)}`);
  return html`<details class="help" onToggle=${open} data-testid="equations-help">
    <summary>Equations syntax</summary>
    <dl>${FORMS.map(([f, what]) => html`<dt key=${f}>${code(f)}</dt><dd>${what}</dd>`)}</dl>
    ${error ? html`<p class="error">${error}</p>` : null}
    ${
      help
        ? html`<p><b>Provided by the engine</b> (a neuron model may read them):</p>
          <ul>${help.neuron.map((s) => html`<li key=${s.name}>${code(s.name)} <span class="muted">(${s.unit})</span>: ${s.doc}</li>`)}</ul>
          <p><b>A synapse model's on_pre adds to</b> ${list(help.synapse.map((s) => `${s.name} (${s.unit})`))}; it reads a neuron's variables as ${code('v_pre')}, ${code('v_post')}.</p>
          <p><b>Functions</b>: ${list(help.functions.map((f) => `${f.name}(${['x', 'lo', 'hi'].slice(0, f.arity).join(', ')})`))}.</p>
          <p><b>Constants</b>: ${list(help.constants)}.</p>
          <p><b>Units</b>: ${list(help.units.base.map((u) => `${u.name}${u.prefixed || u.powered ? ` (${[u.prefixed ? 'prefix' : '', u.powered ? 'power' : ''].filter(Boolean).join(', ')})` : ''}`))}; a prefix is one of ${list(help.units.prefixes)} (${code('mvolt')}), a power 2 or 3 (${code('metre2')}); short names ${list(help.units.short)}.</p>`
        : null
    }
  </details>`;
}
