// The robot's path in its arena, top down, as a self-contained SVG (walls, obstacles, the trail coloured
// by time, collisions, start and end), written when a simulated run ends.
import { pathLength, type Arena, type Collision, type TrailPoint } from '../sim/index.js';
import { escapeXml } from './raster.js';

export function trajectorySvg(arena: Arena, trail: readonly TrailPoint[], collisions: readonly Collision[], title: string): string {
  const S = 640;
  const pad = 30;
  const top = 40;
  const half = arena.size / 2 + arena.wall.thickness;
  const k = (S - 2 * pad) / (2 * half);
  // World x east, y north; SVG y grows downwards.
  const X = (x: number) => pad + (x + half) * k;
  const Y = (y: number) => top + (half - y) * k;
  const p: string[] = [];
  const H = top + S - pad + 40;
  p.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${S}" height="${H}" viewBox="0 0 ${S} ${H}" font-family="sans-serif" font-size="12">`,
  );
  p.push(`<rect width="${S}" height="${H}" fill="white"/>`);
  p.push(`<text x="${pad}" y="24" font-size="15">${escapeXml(title)}</text>`);
  const inner = arena.size / 2;
  p.push(`<rect x="${X(-half)}" y="${Y(half)}" width="${2 * half * k}" height="${2 * half * k}" fill="#555"/>`);
  p.push(`<rect x="${X(-inner)}" y="${Y(inner)}" width="${2 * inner * k}" height="${2 * inner * k}" fill="#f7f7f2"/>`);
  for (const o of arena.obstacles) {
    if (o.shape === 'cylinder') p.push(`<circle cx="${X(o.x)}" cy="${Y(o.y)}" r="${o.radius * k}" fill="#888"/>`);
    else {
      const deg = (-o.yaw * 180) / Math.PI;
      p.push(
        `<rect x="${X(o.x) - (o.size[0] * k) / 2}" y="${Y(o.y) - (o.size[1] * k) / 2}" width="${o.size[0] * k}" height="${o.size[1] * k}" fill="#888" transform="rotate(${deg.toFixed(2)} ${X(o.x)} ${Y(o.y)})"/>`,
      );
    }
  }
  // Trail segments from blue (start) to red (end).
  const n = trail.length;
  for (let i = 1; i < n; i++) {
    const f = i / Math.max(1, n - 1);
    const color = `rgb(${Math.round(30 + 200 * f)},${Math.round(90 - 40 * f)},${Math.round(200 - 170 * f)})`;
    p.push(
      `<line x1="${X(trail[i - 1].x).toFixed(1)}" y1="${Y(trail[i - 1].y).toFixed(1)}" x2="${X(trail[i].x).toFixed(1)}" y2="${Y(trail[i].y).toFixed(1)}" stroke="${color}" stroke-width="2"/>`,
    );
  }
  for (const c of collisions)
    p.push(
      `<circle cx="${X(c.pose.x)}" cy="${Y(c.pose.y)}" r="6" fill="none" stroke="#d00" stroke-width="2"><title>collision at ${c.time.toFixed(2)} s</title></circle>`,
    );
  const robot = (pt: { x: number; y: number; yaw: number }, color: string) =>
    p.push(
      `<circle cx="${X(pt.x)}" cy="${Y(pt.y)}" r="${Math.max(3, 0.1 * k)}" fill="${color}" fill-opacity="0.6"/><line x1="${X(pt.x)}" y1="${Y(pt.y)}" x2="${X(pt.x + 0.15 * Math.cos(pt.yaw))}" y2="${Y(pt.y + 0.15 * Math.sin(pt.yaw))}" stroke="black" stroke-width="2"/>`,
    );
  robot(arena.start, '#1e5ac8');
  if (n) robot(trail[n - 1], '#e6321e');
  const t = n ? trail[n - 1].time : 0;
  p.push(
    `<text x="${pad}" y="${H - 14}">${escapeXml(`${arena.name}: ${arena.size} m square, ${arena.obstacles.length} obstacles; ${t.toFixed(1)} s simulated, ${pathLength(trail).toFixed(2)} m driven, ${collisions.length} collisions (red circles). Blue: start, red: end.`)}</text>`,
  );
  p.push('</svg>');
  return p.join('\n');
}
