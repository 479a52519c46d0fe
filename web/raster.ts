// The circuit's last second as a raster on a canvas: one dot per spike, populations stacked in
// document order with their names, time running left to right up to now.
const COLORS = ['#1e6fd9', '#e4572e', '#29a36a', '#8e44ad', '#c58b00', '#16a2b8', '#d6336c'];

export function drawRaster(
  canvas: HTMLCanvasElement,
  rows: readonly { name: string; size: number; first: number }[],
  r: { t: readonly number[]; row: readonly number[]; now: number; windowMs: number },
): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const { width: w, height: h } = canvas;
  const left = 70;
  const total = rows.reduce((a, p) => a + p.size, 0) || 1;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, w, h);
  const y = (row: number) => ((row + 0.5) / total) * (h - 20);
  const x = (t: number) => left + ((t - (r.now - r.windowMs)) / r.windowMs) * (w - left - 4);
  g.font = '12px system-ui, sans-serif';
  rows.forEach((p, i) => {
    g.fillStyle = COLORS[i % COLORS.length];
    g.fillText(p.name, 4, y(p.first + p.size / 2) + 4);
    if (i > 0) g.fillRect(left, y(p.first) - 0.5, w - left, 0.5);
  });
  const colorOf = (row: number) => {
    for (let i = rows.length - 1; i >= 0; i--) if (row >= rows[i].first) return COLORS[i % COLORS.length];
    return COLORS[0];
  };
  let last = '';
  for (let i = 0; i < r.t.length; i++) {
    const c = colorOf(r.row[i]);
    if (c !== last) g.fillStyle = last = c;
    g.fillRect(x(r.t[i]), y(r.row[i]), 1.5, 1.5);
  }
  g.fillStyle = '#5a6270';
  g.fillText(`${((r.now - r.windowMs) / 1000).toFixed(1)} s`, left, h - 4);
  g.fillText(`${(r.now / 1000).toFixed(1)} s`, w - 44, h - 4);
}
