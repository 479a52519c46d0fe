// Plots as SVG text, written from the data (so an exported figure is vector, not a screenshot), and
// the buttons that export any plot as SVG, PNG and its data as CSV. The page's own trace and weight
// views draw these same SVGs, so what is exported is what is shown.
import { h } from 'preact';
import htm from 'htm';
import { colorOf, fmt } from './live.js';
import { esc } from './esc.js';

const html = htm.bind(h);

const W = 560;
const H = 200;
const PAD = { l: 52, r: 10, t: 18, b: 28 };

const num = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : 0);

function frame(title: string, xLabel: string, yLabel: string, x: [number, number], y: [number, number], body: string): string {
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="10">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${PAD.l}" y="12" font-size="11" fill="#333">${esc(title)}</text>
<rect x="${PAD.l}" y="${PAD.t}" width="${iw}" height="${ih}" fill="none" stroke="#ccd"/>
<text x="${PAD.l - 4}" y="${PAD.t + 8}" text-anchor="end" fill="#666">${esc(fmt(y[1]))}</text>
<text x="${PAD.l - 4}" y="${PAD.t + ih}" text-anchor="end" fill="#666">${esc(fmt(y[0]))}</text>
<text x="${PAD.l}" y="${H - 14}" fill="#666">${esc(fmt(x[0]))}</text>
<text x="${W - PAD.r}" y="${H - 14}" text-anchor="end" fill="#666">${esc(fmt(x[1]))}</text>
<text x="${PAD.l + iw / 2}" y="${H - 4}" text-anchor="middle" fill="#444">${esc(xLabel)}</text>
<text x="10" y="${PAD.t + ih / 2}" transform="rotate(-90 10 ${PAD.t + ih / 2})" text-anchor="middle" fill="#444">${esc(yLabel)}</text>
${body}
</svg>`;
}

export interface Line {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/** Lines over a shared x axis, one colour each, with a legend. */
export function linesSvg(title: string, xLabel: string, yLabel: string, lines: Line[]): string {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const l of lines)
    for (let i = 0; i < l.x.length; i++) {
      if (!Number.isFinite(l.x[i]) || !Number.isFinite(l.y[i])) continue;
      x0 = Math.min(x0, l.x[i]);
      x1 = Math.max(x1, l.x[i]);
      y0 = Math.min(y0, l.y[i]);
      y1 = Math.max(y1, l.y[i]);
    }
  if (!(x1 > x0)) [x0, x1] = [Number.isFinite(x0) ? x0 : 0, (Number.isFinite(x0) ? x0 : 0) + 1];
  if (!(y1 > y0)) [y0, y1] = [Number.isFinite(y0) ? y0 - 1 : 0, Number.isFinite(y0) ? y0 + 1 : 1];
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const body = lines
    .map((l, k) => {
      const pts: string[] = [];
      for (let i = 0; i < l.x.length; i++)
        if (Number.isFinite(l.x[i]) && Number.isFinite(l.y[i]))
          pts.push(`${num(PAD.l + ((l.x[i] - x0) / (x1 - x0)) * iw)},${num(PAD.t + ih - ((l.y[i] - y0) / (y1 - y0)) * ih)}`);
      const legend = `<text x="${W - PAD.r - 4}" y="${PAD.t + 12 + 12 * k}" text-anchor="end" fill="${colorOf(k)}">${esc(l.name)}</text>`;
      return `<polyline fill="none" stroke="${colorOf(k)}" stroke-width="1.2" points="${pts.join(' ')}"/>${legend}`;
    })
    .join('\n');
  return frame(title, xLabel, yLabel, [x0, x1], [y0, y1], body);
}

/** Bars over equal bins from lo to hi. */
export function barsSvg(title: string, xLabel: string, yLabel: string, lo: number, hi: number, counts: number[]): string {
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const max = Math.max(1, ...counts);
  const bw = iw / Math.max(1, counts.length);
  const body = counts
    .map((c, i) => {
      const h = (c / max) * ih;
      return `<rect x="${num(PAD.l + i * bw)}" y="${num(PAD.t + ih - h)}" width="${num(Math.max(0.5, bw - 1))}" height="${num(h)}" fill="${colorOf(0)}"/>`;
    })
    .join('');
  return frame(title, xLabel, yLabel, [lo, hi], [0, max], body);
}

/** A rows × cols grid of values (null: empty), white at lo to dark at hi. */
export function heatSvg(title: string, xLabel: string, yLabel: string, rows: number, cols: number, values: (number | null)[]): string {
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  const cw = iw / cols;
  const ch = ih / rows;
  let body = '';
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c];
      if (v === null || !Number.isFinite(v)) continue;
      const f = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      const shade = Math.round(245 - 200 * f);
      body += `<rect x="${num(PAD.l + c * cw)}" y="${num(PAD.t + r * ch)}" width="${num(cw + 0.3)}" height="${num(ch + 0.3)}" fill="rgb(${shade},${shade},${Math.min(255, shade + 40)})"/>`;
    }
  body += `<text x="${W - PAD.r}" y="12" text-anchor="end" fill="#666">${esc(`${fmt(lo)} … ${fmt(hi)}`)}</text>`;
  return frame(title, xLabel, yLabel, [0, cols], [0, rows], body);
}

/** Spikes as dots: time across, each population a band of its neurons (as the page's raster). */
export function rasterSvg(title: string, pops: { name: string; size: number }[], t: number[], pop: number[], neuron: number[]): string {
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const total = pops.reduce((a, p) => a + p.size, 0) || 1;
  const offset: number[] = [];
  pops.reduce((a, p, i) => ((offset[i] = a), a + p.size), 0);
  const x0 = t.length ? t[0] : 0;
  const x1 = t.length > 1 ? t[t.length - 1] : x0 + 1;
  let body = '';
  for (let k = 0; k < t.length; k++) {
    if (offset[pop[k]] === undefined) continue;
    const x = PAD.l + ((t[k] - x0) / Math.max(1e-9, x1 - x0)) * iw;
    const y = PAD.t + ((offset[pop[k]] + neuron[k]) / total) * ih;
    body += `<rect x="${num(x)}" y="${num(y)}" width="1" height="1" fill="${colorOf(pop[k])}"/>`;
  }
  pops.forEach((p, i) => {
    body += `<text x="${PAD.l + 2}" y="${num(PAD.t + ((offset[i] + p.size / 2) / total) * ih)}" fill="${colorOf(i)}">${esc(p.name)}</text>`;
  });
  return frame(title, 'time (ms)', 'neuron', [x0, x1], [total, 0], body);
}

/** Rows of CSV with a header (numbers as JavaScript writes them, text quoted when it must be). */
export function csvText(header: string[], rows: (number | string)[][]): string {
  const cell = (x: number | string) => (typeof x === 'number' ? String(x) : /[",\n]/.test(x) ? `"${x.replace(/"/g, '""')}"` : x);
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

function download(name: string, blob: Blob): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** An SVG drawn onto a canvas at twice its size, as PNG. */
async function svgToPng(svg: string): Promise<Blob> {
  const img = new Image();
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  await img.decode();
  const c = document.createElement('canvas');
  // Its own size (the robot view is square), the plots' when it says none.
  const size = /<svg[^>]*\swidth="(\d+)"[^>]*\sheight="(\d+)"/.exec(svg);
  const [w, hgt] = size ? [Number(size[1]), Number(size[2])] : [W, H];
  c.width = w * 2;
  c.height = hgt * 2;
  const ctx = c.getContext('2d')!;
  ctx.scale(2, 2);
  ctx.drawImage(img, 0, 0);
  return new Promise((r, j) => c.toBlob((b) => (b ? r(b) : j(new Error('PNG encoding failed'))), 'image/png'));
}

/**
 * "Export <what> as SVG / PNG / CSV". `png` gives a canvas the page draws (the raster); without it the
 * PNG is the SVG rasterized.
 */
export function ExportButtons({
  what,
  file,
  svg,
  csv,
  png,
}: {
  what: string;
  file: string;
  svg: () => string;
  csv: () => string;
  png?: () => HTMLCanvasElement | null;
}) {
  const asPng = async () => {
    const canvas = png?.();
    if (canvas) canvas.toBlob((b) => b && download(`${file}.png`, b), 'image/png');
    else download(`${file}.png`, await svgToPng(svg()));
  };
  return html`<span class="export" role="group" aria-label=${`export ${what}`}>
    <button aria-label=${`Export ${what} as SVG`} onClick=${() => download(`${file}.svg`, new Blob([svg()], { type: 'image/svg+xml' }))}>SVG</button>
    <button aria-label=${`Export ${what} as PNG`} onClick=${() => void asPng()}>PNG</button>
    <button aria-label=${`Export ${what} as CSV`} onClick=${() => download(`${file}.csv`, new Blob([csv()], { type: 'text/csv' }))}>CSV</button>
  </span>`;
}
