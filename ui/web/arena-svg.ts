// The simulated robot from above as SVG text, written from the data: walls, obstacles, the trail, the
// robot and its lidar returns. The page shows this same SVG, so an exported robot view is what is shown
// (and vector); its CSV is the trail.
import type { ArenaInfo, Telemetry } from './live.js';
import { esc } from './esc.js';

type Robot = NonNullable<Telemetry['robot']>;

const SIZE = 420;
const n = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : 0);

/** The robot view: `trail` is [t, x, y] rows (s, m), thinned to what a pixel shows. */
export function arenaSvg(a: ArenaInfo, trail: readonly [number, number, number][], r: Robot | null): string {
  const half = a.size / 2 + a.wall.thickness;
  const k = SIZE / (2 * half);
  const X = (x: number) => n((x + half) * k);
  const Y = (y: number) => n((half - y) * k);
  const inner = a.size / 2;
  const parts: string[] = [
    `<rect width="${SIZE}" height="${SIZE}" fill="#555"/>`,
    `<rect x="${X(-inner)}" y="${Y(inner)}" width="${n(2 * inner * k)}" height="${n(2 * inner * k)}" fill="#f7f7f2"/>`,
  ];
  for (const o of a.obstacles) {
    if (o.shape === 'cylinder') parts.push(`<circle cx="${X(o.x)}" cy="${Y(o.y)}" r="${n((o.radius ?? 0.1) * k)}" fill="#8a8f96"/>`);
    else {
      const [sx, sy] = o.size ?? [0.2, 0.2];
      const deg = n((-(o.yaw ?? 0) * 180) / Math.PI);
      parts.push(
        `<rect x="${n(-(sx * k) / 2)}" y="${n(-(sy * k) / 2)}" width="${n(sx * k)}" height="${n(sy * k)}" fill="#8a8f96" transform="translate(${X(o.x)} ${Y(o.y)}) rotate(${deg})"/>`,
      );
    }
  }
  // A point closer than half a pixel to the last one kept adds nothing to the picture.
  const points: string[] = [];
  let last: [number, number] | null = null;
  for (const [, x, y] of trail) {
    const p: [number, number] = [X(x), Y(y)];
    if (last && Math.hypot(p[0] - last[0], p[1] - last[1]) < 0.5) continue;
    points.push(`${p[0]},${p[1]}`);
    last = p;
  }
  if (points.length > 1) parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="#1e6fd9" stroke-width="2"/>`);
  if (r?.lidar) {
    const l = r.lidar;
    const dots = l.ranges.flatMap((d, i) => {
      if (d === null) return [];
      const ang = l.pose.yaw + l.angleMin + i * l.angleIncrement;
      return [`M${n(X(l.pose.x + d * Math.cos(ang)) - 1.5)} ${n(Y(l.pose.y + d * Math.sin(ang)) - 1.5)}h3v3h-3z`];
    });
    if (dots.length) parts.push(`<path d="${dots.join('')}" fill="rgba(228,87,46,0.85)"/>`);
  }
  if (r) {
    const p = r.pose;
    const radius = a.robot.radius;
    parts.push(
      `<circle cx="${X(p.x)}" cy="${Y(p.y)}" r="${n(Math.max(3, radius * k))}" fill="${r.touching ? '#c62828' : '#18202b'}"/>`,
      `<line x1="${X(p.x)}" y1="${Y(p.y)}" x2="${X(p.x + radius * Math.cos(p.yaw))}" y2="${Y(p.y + radius * Math.sin(p.yaw))}" stroke="#fff" stroke-width="2"/>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${SIZE} ${SIZE}" width="${SIZE}" height="${SIZE}">
<title>${esc(`${a.name}, ${a.size} m`)}</title>
${parts.join('\n')}
</svg>`;
}
