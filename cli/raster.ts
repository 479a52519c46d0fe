// Raster and population-rate plot as a self-contained SVG (no plotting dependency: an SVG of dots
// and a polyline is a few lines, and it opens in any browser or editor).
import type { Recording } from '../engine/recorder.js';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

export function rasterSvg(rec: Recording, durationMs: number, title: string, maxDotsPerPop = 20000): string {
  const W = 900;
  const rasterH = 420;
  const rateH = 140;
  const left = 110;
  const right = 20;
  const top = 36;
  const plotW = W - left - right;
  const pops = Object.entries(rec.populations);
  const totalRows = pops.reduce((a, [, p]) => a + p.size, 0) || 1;
  const H = top + rasterH + 40 + rateH + 40;
  const x = (tMs: number) => left + (tMs / durationMs) * plotW;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${left}" y="22" font-size="15">${escapeXml(title)}</text>`);
  let row = 0;
  let maxRate = 1;
  const notes: string[] = [];
  pops.forEach(([, p]) => p.rateCounts.forEach((c) => (maxRate = Math.max(maxRate, (c / p.size / rec.rateBin) * 1000))));
  pops.forEach(([name, p], k) => {
    const color = PALETTE[k % PALETTE.length];
    const y0 = top + (row / totalRows) * rasterH;
    const h = (p.size / totalRows) * rasterH;
    parts.push(`<text x="${left - 8}" y="${(y0 + h / 2 + 4).toFixed(1)}" text-anchor="end" fill="${color}">${escapeXml(name)}</text>`);
    const n = p.spikeSteps.length;
    const stride = Math.max(1, Math.ceil(n / maxDotsPerPop));
    let d = '';
    for (let s = 0; s < n; s += stride) {
      const cx = x(p.spikeSteps[s] * rec.dt);
      const cy = y0 + ((p.spikeIndices[s] + 0.5) / p.size) * h;
      d += `M${cx.toFixed(1)} ${cy.toFixed(1)}h1.2`;
    }
    if (d) parts.push(`<path d="${d}" stroke="${color}" stroke-width="1.6" fill="none"/>`);
    if (stride > 1) notes.push(`${name}: every ${stride}th spike shown`);
    row += p.size;
    const rt = top + rasterH + 40;
    if (p.rateCounts.length) {
      const pts = p.rateCounts.map(
        (c, b) =>
          `${x(rec.rateStart + (b + 0.5) * rec.rateBin).toFixed(1)},${(rt + rateH - (((c / p.size / rec.rateBin) * 1000) / maxRate) * rateH).toFixed(1)}`,
      );
      parts.push(`<polyline points="${pts.join(' ')}" stroke="${color}" fill="none" stroke-width="1.5"/>`);
    }
  });
  const rt = top + rasterH + 40;
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${rasterH}" fill="none" stroke="#333"/>`);
  parts.push(`<rect x="${left}" y="${rt}" width="${plotW}" height="${rateH}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${left - 8}" y="${rt + 10}" text-anchor="end">${maxRate.toFixed(0)} Hz</text>`);
  parts.push(`<text x="${left - 8}" y="${rt + rateH}" text-anchor="end">0</text>`);
  parts.push(
    `<text transform="translate(${left - 50} ${rt + rateH / 2}) rotate(-90)" text-anchor="middle">rate, ${rec.rateBin} ms bins</text>`,
  );
  if (notes.length) parts.push(`<text x="${W - right}" y="22" text-anchor="end" fill="#777">${escapeXml(notes.join('; '))}</text>`);
  for (let k = 0; k <= 5; k++) {
    const t = (durationMs * k) / 5;
    parts.push(`<text x="${x(t).toFixed(1)}" y="${rt + rateH + 16}" text-anchor="middle">${t.toFixed(0)}</text>`);
  }
  parts.push(`<text x="${left + plotW / 2}" y="${rt + rateH + 32}" text-anchor="middle">time (ms)</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
