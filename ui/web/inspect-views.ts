// What the inspector shows of the selected element besides its parameters: a form that traces one of a
// population's neurons (the traces plot under the rates), and a projection's weights (histogram, matrix
// of block means, and the histogram over time: how plasticity moves them), each exportable.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, fmt, type Live } from './live.js';
import { ExportButtons, barsSvg, csvText, heatSvg } from './export.js';
import { Field, Problems } from './form.js';
import { html } from './views.js';
import type { WeightView } from './protocol.js';

type Done = (text: string, ok: boolean) => void;

/** Trace one of `population`'s neurons: its index and which state variable. */
export function TraceForm({ population, size, live, done }: { population: string; size: number; live: Live; done: Done }) {
  const [vars, setVars] = useState<string[]>([]);
  const [f, setF] = useState({ neuron: '0', variable: '' });
  useEffect(() => {
    api<{ variables: Record<string, string[]> }>('/api/traces')
      .then((r) => setVars(Object.hasOwn(r.variables, population) ? r.variables[population] : []))
      .catch(() => setVars([]));
  }, [population, live.circuitVersion]);
  const variable = f.variable || vars[0] || '';
  const add = async () => {
    const probe = { population, neuron: Number(f.neuron), variable };
    try {
      const now = await api<{ probes: unknown[]; max: number }>('/api/traces');
      // The newest replaces the oldest once the server's limit is reached.
      const probes = [...now.probes, probe].slice(-now.max);
      await api('/api/traces', { probes });
      done(`tracing ${population}[${probe.neuron}].${variable}`, true);
    } catch (e) {
      done(e instanceof ApiError ? e.message : String(e), false);
    }
  };
  return html`<div class="form" role="group" aria-label="trace">
    <${Field} id="trace-neuron" label="neuron"><input id="trace-neuron" inputmode="numeric" value=${f.neuron} onInput=${(e: Event) => setF({ ...f, neuron: (e.target as HTMLInputElement).value })} placeholder=${`0 to ${size - 1}`} /><//>
    <${Field} id="trace-variable" label="variable"><select id="trace-variable" value=${variable} onChange=${(e: Event) => setF({ ...f, variable: (e.target as HTMLSelectElement).value })}>
      ${vars.map((v) => html`<option key=${v} value=${v}>${v}</option>`)}
    </select><//>
    <button onClick=${add}>Trace neuron</button>
  </div>`;
}

/** Snapshots kept for the histogram over time (one a second: the last minute). */
const HISTORY = 60;
const OVER_TIME_BINS = 30;

/** The snapshots' histograms re-binned onto one common range: rows are weight bins (high on top), columns snapshots. */
function overTime(history: WeightView[]): { lo: number; hi: number; values: number[] } {
  const lo = Math.min(...history.map((h) => h.histogram.lo));
  const hi = Math.max(...history.map((h) => h.histogram.hi));
  const values = new Array<number>(OVER_TIME_BINS * history.length).fill(0);
  history.forEach((h, c) => {
    const { lo: l, hi: u, counts } = h.histogram;
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    counts.forEach((n, i) => {
      const mid = l + ((i + 0.5) * (u - l)) / counts.length;
      const row = OVER_TIME_BINS - 1 - Math.min(OVER_TIME_BINS - 1, Math.floor(((mid - lo) / (hi - lo || 1)) * OVER_TIME_BINS));
      values[row * history.length + c] += n / total;
    });
  });
  return { lo, hi, values };
}

export function WeightsView({ projection }: { projection: string }) {
  const [history, setHistory] = useState<WeightView[]>([]);
  const [error, setError] = useState<string | null>(null);
  // The matrix's window as typed ("from:to" each) and as the polls ask for it (a ref: a new window keeps the history).
  const [typed, setTyped] = useState({ sources: '', targets: '' });
  const win = useRef({ sources: '', targets: '' });
  const zoom = (next: { sources: string; targets: string }) => {
    win.current = next;
    setTyped(next);
  };
  useEffect(() => {
    zoom({ sources: '', targets: '' });
    setHistory([]);
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Once a second, the next only after the last answer (a slow read on a GPU does not pile up).
    const poll = async () => {
      try {
        const q = new URLSearchParams({ projection, ...Object.fromEntries(Object.entries(win.current).filter(([, v]) => v.trim())) });
        const w = await api<WeightView>(`/api/weights?${q.toString()}`);
        if (live) setHistory((h) => [...h, w].slice(-HISTORY));
        setError(null);
      } catch (e) {
        // Spaced by the server (another client read a moment ago): the next poll gets it.
        if (live && !(e instanceof ApiError && e.status === 429)) setError((e as Error).message);
      }
      if (live) timer = setTimeout(() => void poll(), 1000);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [projection]);
  const w = history.at(-1);
  if (!w) return error ? html`<p class="muted">weights: ${error}</p>` : null;
  const unit = w.unit ? ` (${w.unit})` : '';
  const m = w.matrix;
  const [s0, s1] = m.window.sources;
  const [t0, t1] = m.window.targets;
  const single = m.single;
  const hist = () => barsSvg(`${projection}: weights`, `weight${unit}`, 'synapses', w.histogram.lo, w.histogram.hi, w.histogram.counts);
  const matrix = () =>
    heatSvg(
      single ? `${projection}: weight of each synapse, sources × targets` : `${projection}: mean weight, sources × targets`,
      `target ${t0}–${t1 - 1}${single ? '' : ` (${t1 - t0} in ${m.cols} blocks)`}`,
      `source ${s0}–${s1 - 1}${single ? '' : ` (${s1 - s0} in ${m.rows} blocks)`}`,
      m.rows,
      m.cols,
      m.values,
    );
  const over = overTime(history);
  const time = () =>
    heatSvg(
      `${projection}: weights over the last ${history.length} s (${fmt(over.lo)} to ${fmt(over.hi)}${unit}, bottom to top)`,
      'time (s)',
      'weight',
      OVER_TIME_BINS,
      history.length,
      over.values,
    );
  const binEdge = (i: number) => w.histogram.lo + (i * (w.histogram.hi - w.histogram.lo)) / w.histogram.counts.length;
  return html`<div data-testid="weights" aria-label="weights">
    <p class="muted" data-testid="weight-stats">${w.synapses} synapses${w.sampled < w.synapses ? ` (${w.sampled} shown)` : ''}: min ${fmt(w.min)}, mean ${fmt(w.mean)}, max ${fmt(w.max)}${unit}${w.plastic ? ', plastic' : ''}</p>
    <div class="plot" role="img" aria-label="weight histogram" dangerouslySetInnerHTML=${{ __html: hist() }}></div>
    <${ExportButtons} what="weight histogram" file=${`${projection}-weights`} svg=${hist} csv=${() =>
      csvText(
        ['weight_from', 'weight_to', 'synapses'],
        w.histogram.counts.map((n, i) => [binEdge(i), binEdge(i + 1), n]),
      )} />
    <div class="plot" role="img" aria-label="weight matrix" dangerouslySetInnerHTML=${{ __html: matrix() }}></div>
    <${ExportButtons} what="weight matrix" file=${`${projection}-matrix`} svg=${matrix} csv=${() =>
      csvText(
        // Each block's neurons, first and last (inclusive, as the axes say); one synapse's weight, or a block's mean.
        ['source_first', 'source_last', 'target_first', 'target_last', single ? 'weight' : 'mean_weight'],
        m.values.flatMap((v, j) => {
          const [r, c] = [Math.floor(j / m.cols), j % m.cols];
          return v === null ? [] : [[m.rowStarts[r], m.rowStarts[r + 1] - 1, m.colStarts[c], m.colStarts[c + 1] - 1, v]];
        }),
      )} />
    <div class="form" role="group" aria-label="weight matrix window">
      <label for="window-sources">sources</label><input id="window-sources" placeholder=${`from:to of 0:${m.sources}`} value=${typed.sources} onInput=${(e: Event) => setTyped({ ...typed, sources: (e.target as HTMLInputElement).value })} />
      <label for="window-targets">targets</label><input id="window-targets" placeholder=${`from:to of 0:${m.targets}`} value=${typed.targets} onInput=${(e: Event) => setTyped({ ...typed, targets: (e.target as HTMLInputElement).value })} />
    </div>
    <${Problems} name="weights" messages=${error ? [error] : []} />
    <button onClick=${() => zoom(typed)} title=${`at most ${m.maxCells} neurons a side shows single synapses`}>Zoom weight matrix</button>
    <button onClick=${() => zoom({ sources: '', targets: '' })}>Whole weight matrix</button>
    ${
      history.length > 1
        ? html`<div class="plot" role="img" aria-label="weights over time" dangerouslySetInnerHTML=${{ __html: time() }}></div>
          <${ExportButtons} what="weights over time" file=${`${projection}-over-time`} svg=${time} csv=${() =>
            csvText(
              ['snapshot', 'min', 'mean', 'max'],
              history.map((h, i) => [i, h.min, h.mean, h.max]),
            )} />`
        : null
    }
  </div>`;
}
