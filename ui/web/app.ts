// The dashboard (the IDE): monitoring on the left (raster, rates, engine, bridge, robot), the live
// editor on the right. Data comes from one stream (see live.ts); edits go through the JSON API; both
// through the page's connection (a Flux process, or an engine in the page: live.ts Connection).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Live, fmt } from './live.js';
import { Arena, BridgeIo, Plots, Raster, Stats, Traces, html } from './views.js';
import { Editor } from './editor.js';

declare global {
  interface Window {
    // For tests and the curious: the live store.
    flux?: Live;
  }
}

/** Spikes per neuron per second over the whole circuit (each population's rate weighted by its size). */
function meanRate(live: Live): number | null {
  const rates = live.telemetry?.rates;
  if (!rates) return null;
  let spikes = 0;
  let neurons = 0;
  for (const p of live.layout.populations)
    if (Object.hasOwn(rates, p.name)) {
      spikes += rates[p.name] * p.size;
      neurons += p.size;
    }
  return neurons > 0 ? spikes / neurons : null;
}

function App({ live }: { live: Live }) {
  const [, tick] = useState(0);
  useEffect(() => live.onChange(() => tick((n) => n + 1)), [live]);
  const t = live.telemetry;
  return html`
    <header>
      <h1>Flux</h1>
      <span>step <b data-testid="header-step">${t?.step ?? '–'}</b></span>
      <span>${t ? `${(t.timeMs / 1000).toFixed(1)} s, ${t.rtf.toFixed(2)}× real time` : ''}</span>
      <span>mean rate <output aria-label="mean rate" data-testid="mean-rate">${fmt(meanRate(live))} Hz</output></span>
      <span class=${`conn ${live.connected ? '' : 'off'}`} data-testid="connection"
        >${live.connected ? 'live' : live.ended ? 'stopped' : 'disconnected, retrying…'}</span
      >
    </header>
    <main>
      <div>
        <${Raster} live=${live} />
        <${Plots} live=${live} />
        <${Traces} live=${live} />
        <${Stats} live=${live} />
        <${BridgeIo} live=${live} />
        <${Arena} live=${live} />
      </div>
      <div>
        <${Editor} live=${live} />
      </div>
    </main>`;
}

/** Connects and draws the IDE into `root` (after useConnection, where the page sets one). */
export function mountDashboard(root: HTMLElement): Live {
  const live = new Live();
  live.connect();
  root.textContent = '';
  render(html`<${App} live=${live} />`, root);
  window.flux = live;
  return live;
}
