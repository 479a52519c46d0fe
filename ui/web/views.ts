// The monitoring views: spike raster, rate and modulator plots, engine stats, bridge inputs and
// outputs, and the simulated robot's arena. Canvases are drawn imperatively (frames arrive at 20 Hz,
// telemetry at 10 Hz); Preact renders the rest.
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { colorOf, fmt, api, type Live, type SpikeFrame } from './live.js';
import { ExportButtons, csvText, linesSvg, rasterSvg } from './export.js';
import { arenaSvg } from './arena-svg.js';

export const html = htm.bind(h);

/** Sizes a canvas's backing store to its CSS box (and the device's pixel ratio). */
function fit(canvas: HTMLCanvasElement, height: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(100, Math.round(canvas.clientWidth * dpr));
  const hh = Math.round(height * dpr);
  if (canvas.width !== w || canvas.height !== hh) {
    canvas.width = w;
    canvas.height = hh;
  }
  canvas.style.height = `${height}px`;
  return canvas.getContext('2d')!;
}

const LABELS = 110;

/** Spike raster: time scrolls right to left; each population is a band of its (decimated) neurons. */
export function Raster({ live }: { live: Live }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [windowMs, setWindowMs] = useState(2000);
  const [, redraw] = useState(0);
  const state = useRef({ carry: 0, layoutId: -1, width: 0 });
  useEffect(() => {
    const canvas = ref.current!;
    const H = 240;
    const drawLabels = (ctx: CanvasRenderingContext2D) => {
      const dpr = window.devicePixelRatio || 1;
      const L = LABELS * dpr;
      const pops = live.layout.populations;
      const rows = pops.reduce((a, p) => a + p.rows, 0) || 1;
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      let y = 0;
      ctx.font = `${11 * dpr}px system-ui, sans-serif`;
      ctx.textBaseline = 'middle';
      pops.forEach((p, i) => {
        const hgt = (p.rows / rows) * canvas.height;
        ctx.fillStyle = i % 2 ? '#f4f6f8' : '#fbfcfd';
        ctx.fillRect(0, y, canvas.width, hgt);
        ctx.fillStyle = colorOf(i);
        ctx.fillText(p.name.length > 16 ? '…' + p.name.slice(-15) : p.name, 4 * dpr, y + hgt / 2, L - 8 * dpr);
        y += hgt;
      });
      ctx.strokeStyle = '#dde1e6';
      ctx.beginPath();
      ctx.moveTo(L - 0.5, 0);
      ctx.lineTo(L - 0.5, canvas.height);
      ctx.stroke();
    };
    const reset = () => {
      const ctx = fit(canvas, H);
      state.current = { carry: 0, layoutId: live.layout.id, width: canvas.width };
      drawLabels(ctx);
    };
    reset();
    const onFrame = (f: SpikeFrame) => {
      const ctx = fit(canvas, H);
      if (state.current.layoutId !== live.layout.id || state.current.width !== canvas.width) reset();
      const dpr = window.devicePixelRatio || 1;
      const L = LABELS * dpr;
      const W = canvas.width - L;
      const pxPerStep = (W * live.layout.dt) / windowMs;
      const exact = f.steps * pxPerStep + state.current.carry;
      const shift = Math.floor(exact);
      state.current.carry = exact - shift;
      if (shift > 0) {
        // Scroll the plot area left (the band backgrounds scroll with it; the new strip is repainted).
        ctx.drawImage(canvas, L + shift, 0, W - shift, canvas.height, L, 0, W - shift, canvas.height);
        const pops = live.layout.populations;
        const rows = pops.reduce((a, p) => a + p.rows, 0) || 1;
        let y = 0;
        pops.forEach((p, i) => {
          const hgt = (p.rows / rows) * canvas.height;
          ctx.fillStyle = i % 2 ? '#f4f6f8' : '#fbfcfd';
          ctx.fillRect(canvas.width - shift, y, shift, hgt);
          y += hgt;
        });
      }
      const pops = live.layout.populations;
      const rows = pops.reduce((a, p) => a + p.rows, 0) || 1;
      const rowH = canvas.height / rows;
      const offsets: number[] = [];
      let acc = 0;
      for (const p of pops) {
        offsets.push(acc);
        acc += p.rows;
      }
      const x0 = canvas.width - shift;
      const w = Math.max(1, Math.min(2 * dpr, pxPerStep));
      const hh = Math.max(1, rowH - (rowH > 3 ? 1 : 0));
      for (const p of f.populations) {
        if (p.index >= pops.length) continue;
        ctx.fillStyle = colorOf(p.index);
        const base = offsets[p.index];
        for (const word of p.packed) {
          const step = word >>> 16;
          const row = word & 0xffff;
          ctx.fillRect(x0 + step * pxPerStep, (base + row) * rowH, w, hh);
        }
      }
    };
    const offFrame = live.onFrame(onFrame);
    const offChange = live.onChange(() => {
      if (state.current.layoutId !== live.layout.id) reset();
      redraw((n) => n + 1);
    });
    return () => {
      offFrame();
      offChange();
    };
  }, [live, windowMs]);
  return html`<section>
    <h2>
      <span class="grow">Spike raster</span>
      <span class="muted" data-testid="spike-count" title="spikes drawn (after decimation) / all spikes">${live.spikesDrawn} drawn / ${live.spikesTotal} spikes</span>
      <select value=${String(windowMs)} onChange=${(e: Event) => setWindowMs(Number((e.target as HTMLSelectElement).value))} title="time window">
        <option value="500">0.5 s</option>
        <option value="2000">2 s</option>
        <option value="10000">10 s</option>
      </select>
    </h2>
    <canvas ref=${ref} data-testid="raster"></canvas>
    <div class="muted" style="font-size:11px;margin-top:3px">
      ${
        live.layout.populations
          .filter((p) => p.stride > 1)
          .map((p) => `${p.name}: every ${p.stride}th neuron`)
          .join(', ') || 'every neuron shown'
      }
      <${ExportButtons} what="raster" file="raster" png=${() => ref.current} svg=${() => rasterSvg('Spike raster', live.layout.populations, live.spikes.t, live.spikes.pop, live.spikes.neuron)} csv=${() =>
        csvText(
          ['time_ms', 'population', 'neuron'],
          live.spikes.t.map((t, k) => [t, live.layout.populations[live.spikes.pop[k]]?.name ?? '', live.spikes.neuron[k]]),
        )} />
    </div>
  </section>`;
}

/** Line chart of named series over time (the last 60 s of telemetry). */
function Series({
  live,
  pick,
  names,
  unit,
  height = 130,
  testid,
  what,
}: {
  live: Live;
  pick: (s: Live['history'][number]) => Record<string, number>;
  names: string[];
  unit: string;
  height?: number;
  testid: string;
  /** What the plot shows, for its export buttons' names. */
  what: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const ctx = fit(canvas, height);
    const dpr = window.devicePixelRatio || 1;
    const hist = live.history;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (hist.length < 2) return;
    let max = 0;
    for (const s of hist) for (const n of names) max = Math.max(max, pick(s)[n] ?? 0);
    let min = 0;
    for (const s of hist) for (const n of names) min = Math.min(min, pick(s)[n] ?? 0);
    if (max === min) max = min + 1;
    const pad = 30 * dpr;
    const W = canvas.width - pad;
    const H = canvas.height - 4 * dpr;
    const t0 = hist[0].timeMs;
    const t1 = hist[hist.length - 1].timeMs;
    const span = Math.max(1, t1 - t0);
    ctx.font = `${10 * dpr}px system-ui, sans-serif`;
    ctx.fillStyle = '#6b7480';
    ctx.fillText(fmt(max), 2, 10 * dpr);
    ctx.fillText(fmt(min), 2, H);
    ctx.strokeStyle = '#eef0f3';
    ctx.strokeRect(pad, 2, W - 2, H - 2);
    names.forEach((n, i) => {
      ctx.strokeStyle = colorOf(i);
      ctx.lineWidth = 1.5 * dpr;
      ctx.beginPath();
      hist.forEach((s, k) => {
        const x = pad + ((s.timeMs - t0) / span) * (W - 2);
        const y = H - (((pick(s)[n] ?? 0) - min) / (max - min)) * (H - 6);
        if (k === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.stroke();
    });
  });
  const now = live.history.at(-1);
  const lines = () =>
    names.map((n) => ({ name: n, x: live.history.map((h) => h.timeMs / 1000), y: live.history.map((h) => pick(h)[n] ?? NaN) }));
  return html`<div>
    <canvas ref=${ref} data-testid=${testid}></canvas>
    <${ExportButtons} what=${what} file=${testid} png=${() => ref.current} svg=${() => linesSvg(what, 'time (s)', unit, lines())} csv=${() =>
      csvText(
        ['time_s', ...names],
        live.history.map((h) => [h.timeMs / 1000, ...names.map((n) => pick(h)[n] ?? '')]),
      )} />
    <div class="legend">
      ${names.map((n, i) => html`<span key=${n}><i style=${`background:${colorOf(i)}`}></i>${n} <b data-testid=${`${testid}-${n}`}>${fmt(now ? pick(now)[n] : null)}</b> ${unit}</span>`)}
    </div>
  </div>`;
}

export function Plots({ live }: { live: Live }) {
  const pops = live.layout.populations.map((p) => p.name);
  const mods = Object.keys(live.telemetry?.modulators ?? {});
  return html`<section>
    <h2>Population rates (Hz)</h2>
    <${Series} live=${live} pick=${(s: Live['history'][number]) => s.rates} names=${pops} unit="Hz" testid="rate" what="rates" />
    ${
      mods.length
        ? html`<h2 style="margin-top:8px">Modulator levels</h2>
          <${Series} live=${live} pick=${(s: Live['history'][number]) => s.modulators} names=${mods} unit="" height=${90} testid="mod" what="modulator levels" />`
        : null
    }
  </section>`;
}

/** Traces of the neurons chosen in the editor (a population's panel): the last 2 s, one line each. */
export function Traces({ live }: { live: Live }) {
  const tr = live.traces;
  if (!tr.probes.length) return null;
  const names = tr.probes.map((p) => `${p.population}[${p.neuron}].${p.variable}`);
  const svg = () =>
    linesSvg(
      'Traces',
      'time (ms)',
      'value',
      tr.probes.map((_, k) => ({ name: names[k], x: tr.t[k], y: tr.v[k] })),
    );
  const csv = () => {
    // One row per sample time of the first trace (every trace is sampled at the same steps).
    const t = tr.t[0] ?? [];
    return csvText(
      ['time_ms', ...names],
      t.map((x, i) => [x, ...tr.v.map((v, k) => (tr.t[k][i] === x ? v[i] : ''))]),
    );
  };
  return html`<section data-testid="traces" aria-label="traces">
    <h2><span class="grow">Traces</span><button onClick=${() => void api('/api/traces', { probes: [] }).catch(() => undefined)}>Clear traces</button></h2>
    <div class="plot" role="img" aria-label=${`traces of ${names.join(', ')}`} dangerouslySetInnerHTML=${{ __html: svg() }}></div>
    <div class="legend">${names.map((n, k) => html`<span key=${n}><i style=${`background:${colorOf(k)}`}></i>${n} <b data-testid=${`trace-${k}`}>${fmt(tr.v[k].at(-1) ?? null)}</b></span>`)}</div>
    <${ExportButtons} what="traces" file="traces" svg=${svg} csv=${csv} />
  </section>`;
}

export function Stats({ live }: { live: Live }) {
  const t = live.telemetry;
  const s = t?.stats ?? {};
  const stream = t?.stream;
  const item = (label: string, value: string, testid?: string, title?: string) =>
    html`<div title=${title}><b data-testid=${testid}>${value}</b><span>${label}</span></div>`;
  return html`<section>
    <h2>Engine</h2>
    <div class="stats">
      ${item('step', t ? String(t.step) : '–', 'step')}
      ${item('time (s)', t ? (t.timeMs / 1000).toFixed(2) : '–', 'time')}
      ${item('real-time factor', t ? t.rtf.toFixed(2) + '×' : '–', 'rtf')}
      ${item('tick (ms, mean / max)', t ? `${t.tick.meanMs.toFixed(3)} / ${t.tick.maxMs.toFixed(2)}` : '–', 'tick')}
      ${item('ticks/s', t ? `${t.tick.perSecond.toFixed(0)} of ${fmt(t.tick.hz)}` : '–', 'ticks')}
      ${item('overruns', String(s.overruns ?? '–'), 'overruns')}
      ${item('dropped messages', String(s.dropped ?? '–'), 'dropped', 'malformed, non-finite and out-of-range input messages')}
      ${item('watchdog trips', String(s.watchdogTrips ?? '–'), 'watchdog')}
      ${item('published (safe)', `${s.published ?? '–'} (${s.safePublished ?? '–'})`, 'published')}
      ${item('stream kB / dropped frames', stream ? `${(stream.bytesSent / 1024).toFixed(0)} / ${stream.droppedFrames}` : '–', 'stream', `bounded to ${stream ? (stream.boundBytesPerSecond / 1024).toFixed(0) : '?'} kB/s per client`)}
      ${item('backend', t?.backend ?? '–', 'backend')}
    </div>
  </section>`;
}

function valueText(v: number | { n: number; min: number; max: number; mean: number } | null): string {
  if (v === null) return '–';
  if (typeof v === 'number') return fmt(v);
  return `${v.n} values, ${fmt(v.min)}…${fmt(v.max)} (mean ${fmt(v.mean)})`;
}

export function BridgeIo({ live }: { live: Live }) {
  const io = live.telemetry?.io;
  if (!io) return null;
  return html`<section>
    <h2>Bridge inputs and outputs</h2>
    <table data-testid="io">
      <tr><th>input</th><th>topic</th><th>value</th><th class="num">age</th><th></th></tr>
      ${io.inputs.map(
        (i) => html`<tr key=${'i' + i.input}>
          <td>${i.input}</td><td class="muted">${i.topic} <small>${i.path}</small></td><td>${valueText(i.value)}</td>
          <td class="num">${i.ageMs === null ? '–' : `${fmt(i.ageMs)} ms`}</td>
          <td>${i.stale ? html`<span class="badge bad">stale</span>` : html`<span class="badge">fresh</span>`}</td>
        </tr>`,
      )}
      <tr><th>output</th><th>topic</th><th>values</th><th class="num">age</th><th></th></tr>
      ${io.outputs.map(
        (o) => html`<tr key=${'o' + o.name}>
          <td>${o.name}</td><td class="muted">${o.topic} <small>${o.type}</small></td>
          <td>${Object.entries(o.values).map(([k, v]) => html`<div key=${k}>${k} = <b>${fmt(v)}</b></div>`)}</td>
          <td class="num">${o.ageMs === null ? '–' : `${fmt(o.ageMs)} ms`}</td>
          <td>${o.safe ? html`<span class="badge bad">safe</span>` : html`<span class="badge">live</span>`}</td>
        </tr>`,
      )}
      ${io.devices?.length ? html`<tr><th>device</th><th colspan="4">status</th></tr>` : null}
      ${(io.devices ?? []).map(
        (d) => html`<tr key=${'d' + d.name} data-testid=${`device-${d.name}`}>
          <td>${d.name}</td><td colspan="3" class="muted">${d.status}</td>
          <td>${/\b(connected|ready)\b/.test(d.status) ? html`<span class="badge">up</span>` : html`<span class="badge bad">down</span>`}</td>
        </tr>`,
      )}
      ${io.extensions?.length ? html`<tr><th>extension</th><th>type</th><th>outputs</th><th class="num">errors</th><th></th></tr>` : null}
      ${(io.extensions ?? []).map(
        (x) => html`<tr key=${'x' + x.name} data-testid=${`extension-${x.name}`} title=${x.lastError ?? ''}>
          <td>${x.name}</td><td class="muted">${x.type} <small>${x.kind}</small></td>
          <td>${Object.entries(x.outputs).map(([k, v]) => html`<div key=${k}>${k} = <b>${typeof v === 'number' ? fmt(v) : JSON.stringify(v)}</b></div>`)}</td>
          <td class="num">${x.errors}</td>
          <td>${x.state === 'running' ? html`<span class="badge">${x.errors ? 'erring' : 'running'}</span>` : html`<span class="badge bad">${x.state}</span>`}</td>
        </tr>`,
      )}
    </table>
  </section>`;
}

/** The simulated robot from above: walls, obstacles, the trail, the robot and its lidar (ui/web/arena-svg.ts). */
export function Arena({ live }: { live: Live }) {
  const a = live.arena;
  const r = live.telemetry?.robot ?? null;
  if (!a) return null;
  return html`<section>
    <h2>Simulated robot <span class="muted" style="text-transform:none">${a.name}, ${a.size} m</span></h2>
    <div class="arena" data-testid="arena" role="img" aria-label="robot view" dangerouslySetInnerHTML=${{ __html: arenaSvg(a, live.trail, r) }}></div>
    <${ExportButtons} what="robot view" file="robot" svg=${() => arenaSvg(a, live.trail, r)} csv=${() =>
      csvText(['t_s', 'x_m', 'y_m'], live.trail)} />
    <div class="muted" data-testid="robot" role="status" aria-label="robot">
      ${
        r
          ? `t = ${r.time.toFixed(1)} s, pose (${r.pose.x.toFixed(2)}, ${r.pose.y.toFixed(2)}, ${((r.pose.yaw * 180) / Math.PI).toFixed(0)}°), command ${r.commanded.linear.toFixed(2)} m/s ${r.commanded.angular.toFixed(2)} rad/s, driven ${r.driven.toFixed(2)} m, collisions ${r.collisions}`
          : ''
      }
    </div>
  </section>`;
}
