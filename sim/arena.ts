// Arenas: a square of walls centred on the origin, obstacles (boxes and cylinders, listed or placed at
// random from the seed), the robot's start pose and the seed. YAML or JSON, checked with a JSON Schema
// (ajv) and then for geometry (inside the walls, clear of the start pose); every problem names the
// file, the line and the JSON path, like a circuit or a bridge document. Lengths in metres, angles in
// radians, x east, y north, yaw counter-clockwise from x.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { CircuitError, IssueList, pointer } from '../engine/circuit/errors.js';
import { splitPointer } from '../engine/circuit/parse.js';
import { host } from '../engine/platform/host.js';
import { ROBOT } from './robot.js';
import { substream } from './rng.js';

export interface Pose2D {
  x: number;
  y: number;
  yaw: number;
}

export type Obstacle =
  | {
      shape: 'box';
      x: number;
      y: number;
      yaw: number;
      /** Full lengths along the box's own x and y. */ size: [number, number];
      height: number;
    }
  | { shape: 'cylinder'; x: number; y: number; radius: number; height: number };

/** An obstacle as written: a box has size (and yaw), a cylinder radius; height defaults to the walls'. */
export interface ObstacleConfig {
  shape: 'box' | 'cylinder';
  x: number;
  y: number;
  yaw?: number;
  size?: [number, number];
  radius?: number;
  height?: number;
}

/** An arena document as written (optional fields may be missing). */
export interface ArenaConfig {
  name?: string;
  /** Inner side of the square of walls (m). */
  size: number;
  wall?: { height?: number; thickness?: number };
  start?: Partial<Pose2D>;
  seed?: number;
  obstacles?: ObstacleConfig[];
  random?: RandomObstacles;
}

export interface RandomObstacles {
  count: number;
  /** Default both. */
  shapes?: ('box' | 'cylinder')[];
  /** [min, max] of a box's side or a cylinder's diameter (default [0.1, 0.4]). */
  size?: [number, number];
  height?: number;
  /** Free distance between the robot at its start pose and any random obstacle (default 0.5). */
  clearance?: number;
  /** Free distance between two obstacles, and between an obstacle and a wall (default 0.3: the robot fits through). */
  gap?: number;
}

/** An arena with every default filled in and the random obstacles placed. */
export interface Arena {
  name: string;
  size: number;
  wall: { height: number; thickness: number };
  start: Pose2D;
  seed: number;
  /** Listed obstacles first, then the random ones. */
  obstacles: Obstacle[];
}

const num = { type: 'number' };
const pos = { type: 'number', exclusiveMinimum: 0 };
const obj = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  properties,
  required,
});

export const ARENA_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Flux simulator arena',
  ...obj(
    {
      $schema: { type: 'string' },
      name: { type: 'string' },
      size: { ...pos, description: 'inner side of the square of walls (m), centred on the origin' },
      wall: obj({ height: pos, thickness: pos }),
      start: obj({ x: num, y: num, yaw: num }),
      seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
      obstacles: {
        type: 'array',
        items: obj(
          {
            shape: { enum: ['box', 'cylinder'] },
            x: num,
            y: num,
            yaw: num,
            size: { type: 'array', items: pos, minItems: 2, maxItems: 2 },
            radius: pos,
            height: pos,
          },
          ['shape', 'x', 'y'],
        ),
      },
      random: obj(
        {
          count: { type: 'integer', minimum: 0, maximum: 1000 },
          shapes: { type: 'array', items: { enum: ['box', 'cylinder'] }, minItems: 1, uniqueItems: true },
          size: { type: 'array', items: pos, minItems: 2, maxItems: 2 },
          height: pos,
          clearance: { type: 'number', minimum: 0 },
          gap: { type: 'number', minimum: 0 },
        },
        ['count'],
      ),
    },
    ['size'],
  ),
} as const;

const DEFAULT_WALL = { height: 0.3, thickness: 0.05 };

let validate: ReturnType<Ajv['compile']> | undefined;

/** The radius of the circle around an obstacle's centre that holds it. */
export function boundingRadius(o: Obstacle): number {
  return o.shape === 'cylinder' ? o.radius : Math.hypot(o.size[0], o.size[1]) / 2;
}

/** Checks an arena document and places its random obstacles. Throws one CircuitError listing every problem. */
export function resolveArena(doc: unknown, file = '<arena>', locate?: (path: string) => number | undefined, seedOverride?: number): Arena {
  const issues = new IssueList(file, locate);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    issues.add('', 'expected an arena document (an object with size, obstacles, start, seed)');
    throw new CircuitError(issues.issues);
  }
  validate ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(ARENA_SCHEMA);
  if (!validate(doc)) {
    for (const e of validate.errors ?? []) {
      const p = e.params as Record<string, unknown>;
      if (e.keyword === 'additionalProperties') {
        const extra = String(p.additionalProperty);
        issues.add(
          `${e.instancePath}${pointer(extra)}`,
          `unknown property "${extra}"; expected one of ${Object.keys((e.parentSchema as { properties?: object }).properties ?? {}).join(', ')}`,
        );
      } else if (e.keyword === 'required') issues.add(e.instancePath, `missing required property "${String(p.missingProperty)}"`);
      else if (e.keyword === 'enum')
        issues.add(e.instancePath, `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
      else issues.add(e.instancePath, e.message ?? 'invalid');
    }
    throw new CircuitError(issues.issues);
  }
  const a = doc as ArenaConfig;
  const half = a.size / 2;
  const wall = { ...DEFAULT_WALL, ...a.wall };
  const start: Pose2D = { x: a.start?.x ?? 0, y: a.start?.y ?? 0, yaw: a.start?.yaw ?? 0 };
  const seed = seedOverride ?? a.seed ?? 0;
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 4294967295))
    issues.add('/seed', `seed ${seed}: expected an integer from 0 to 4294967295`);
  const r = ROBOT.bodyRadius;
  if (Math.abs(start.x) > half - r || Math.abs(start.y) > half - r) {
    issues.add(
      '/start',
      `the robot (radius ${r} m) at (${start.x}, ${start.y}) does not fit inside the walls (x and y within ±${half - r} m)`,
    );
  }
  const obstacles: Obstacle[] = [];
  (a.obstacles ?? []).forEach((raw, i) => {
    const at = pointer('obstacles', i);
    const height = raw.height ?? wall.height;
    let o: Obstacle | null = null;
    if (raw.shape === 'box') {
      if (raw.radius !== undefined) issues.add(`${at}/radius`, 'radius is for cylinders; a box has size: [x, y]');
      if (!raw.size) issues.add(at, 'a box needs size: [x, y] (full lengths, m)');
      else o = { shape: 'box', x: raw.x, y: raw.y, yaw: raw.yaw ?? 0, size: [raw.size[0], raw.size[1]], height };
    } else {
      if (raw.size !== undefined) issues.add(`${at}/size`, 'size is for boxes; a cylinder has radius');
      if (raw.yaw !== undefined) issues.add(`${at}/yaw`, 'a cylinder has no yaw');
      if (raw.radius === undefined) issues.add(at, 'a cylinder needs radius (m)');
      else o = { shape: 'cylinder', x: raw.x, y: raw.y, radius: raw.radius, height };
    }
    if (!o) return;
    const extent = obstacleExtent(o);
    if (Math.abs(o.x) + extent[0] > half || Math.abs(o.y) + extent[1] > half)
      issues.add(at, `obstacle ${i} at (${o.x}, ${o.y}) reaches outside the walls (±${half} m)`);
    if (overlapsRobot(o, start, 0)) issues.add(at, `obstacle ${i} overlaps the robot at its start pose (${start.x}, ${start.y})`);
    obstacles.push(o);
  });
  if (a.random && a.random.count > 0 && issues.ok) {
    const placed = placeRandom(a.random, half, start, obstacles, seed);
    if (typeof placed === 'string') issues.add('/random', placed);
    else obstacles.push(...placed);
  }
  if (!issues.ok) throw new CircuitError(issues.issues);
  return {
    name: a.name ?? (file === '<arena>' ? 'arena' : file.replace(/^.*[\\/]/, '').replace(/\.(ya?ml|json)$/i, '')),
    size: a.size,
    wall,
    start,
    seed,
    obstacles,
  };
}

/** Half extents along x and y of an obstacle's axis-aligned bounding box. */
function obstacleExtent(o: Obstacle): [number, number] {
  if (o.shape === 'cylinder') return [o.radius, o.radius];
  const c = Math.abs(Math.cos(o.yaw)),
    s = Math.abs(Math.sin(o.yaw));
  const [a, b] = [o.size[0] / 2, o.size[1] / 2];
  return [a * c + b * s, a * s + b * c];
}

/** Distance from a point to an obstacle's surface (negative inside). */
export function distanceTo(o: Obstacle, x: number, y: number): number {
  if (o.shape === 'cylinder') return Math.hypot(x - o.x, y - o.y) - o.radius;
  const c = Math.cos(o.yaw),
    s = Math.sin(o.yaw);
  const dx = x - o.x,
    dy = y - o.y;
  const lx = Math.abs(c * dx + s * dy) - o.size[0] / 2;
  const ly = Math.abs(-s * dx + c * dy) - o.size[1] / 2;
  const outside = Math.hypot(Math.max(lx, 0), Math.max(ly, 0));
  return outside > 0 ? outside : Math.max(lx, ly);
}

/** Free distance from (x, y) to the nearest wall or obstacle surface (negative inside one). */
export function clearance(arena: Arena, x: number, y: number): number {
  const half = arena.size / 2;
  let d = Math.min(half - Math.abs(x), half - Math.abs(y));
  for (const o of arena.obstacles) d = Math.min(d, distanceTo(o, x, y));
  return d;
}

function overlapsRobot(o: Obstacle, at: Pose2D, clearance: number): boolean {
  return distanceTo(o, at.x, at.y) < ROBOT.bodyRadius + clearance;
}

/** Rejection sampling from the seed's "obstacles" stream; the same seed always gives the same arena. */
function placeRandom(spec: RandomObstacles, half: number, start: Pose2D, fixed: Obstacle[], seed: number): Obstacle[] | string {
  const rng = substream(seed, 'obstacles');
  const shapes = spec.shapes ?? ['box', 'cylinder'];
  const [lo, hi] = spec.size ?? [0.1, 0.4];
  if (lo > hi) return `size [${lo}, ${hi}]: the minimum is larger than the maximum`;
  const clearance = spec.clearance ?? 0.5;
  const gap = spec.gap ?? 0.3;
  const height = spec.height ?? DEFAULT_WALL.height;
  const out: Obstacle[] = [];
  const tries = 200 * spec.count;
  for (let t = 0; t < tries && out.length < spec.count; t++) {
    const shape = rng.pick(shapes);
    const o: Obstacle =
      shape === 'box'
        ? { shape, x: 0, y: 0, yaw: rng.uniform(-Math.PI / 2, Math.PI / 2), size: [rng.uniform(lo, hi), rng.uniform(lo, hi)], height }
        : { shape, x: 0, y: 0, radius: rng.uniform(lo, hi) / 2, height };
    const br = boundingRadius(o);
    const room = half - gap - br;
    if (room <= 0) continue;
    o.x = rng.uniform(-room, room);
    o.y = rng.uniform(-room, room);
    if (overlapsRobot(o, start, clearance)) continue;
    // Bounding circles keep the gap between any two obstacles, whatever their orientation.
    if ([...fixed, ...out].some((p) => Math.hypot(p.x - o.x, p.y - o.y) < br + boundingRadius(p) + gap)) continue;
    out.push(o);
  }
  if (out.length < spec.count)
    return `could place only ${out.length} of ${spec.count} random obstacles in ${2 * half} m with gap ${gap} m and clearance ${clearance} m; lower count, size or gap`;
  return out;
}

/** Reads an arena file (YAML or JSON). */
export function loadArena(file: string, seed?: number): Arena {
  let text: string;
  try {
    text = host().readText(file);
  } catch (e) {
    throw new CircuitError([{ file, path: '', message: `cannot read file: ${(e as Error).message}` }]);
  }
  return parseArena(text, file, seed);
}

/** Parses arena text (YAML or JSON; JSON is YAML) and resolves it, with line numbers in errors. */
export function parseArena(text: string, file = '<arena>', seed?: number): Arena {
  const lineCounter = new LineCounter();
  const ydoc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (ydoc.errors.length > 0) {
    throw new CircuitError(
      ydoc.errors.map((e) => ({
        file,
        path: '',
        line: lineCounter.linePos(e.pos[0]).line,
        message: `syntax error: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  const locate = (ptr: string): number | undefined => {
    const parts: (string | number)[] = splitPointer(ptr).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    for (;;) {
      const node = parts.length === 0 ? ydoc.contents : ydoc.getIn(parts, true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return lineCounter.linePos(range[0]).line;
      if (parts.length === 0) return undefined;
      parts.pop();
    }
  };
  return resolveArena(ydoc.toJS({ maxAliasCount: 100 }), file, locate, seed);
}

/** examples/arenas/ of this package (found from this module's place, in the sources or in dist/). */
export function arenaDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'examples', 'arenas'))) return join(dir, 'examples', 'arenas');
    dir = dirname(dir);
  }
  throw new Error('examples/arenas/ not found next to the package (is the package installed completely?)');
}

/**
 * An arena by file path, or by the name of a built-in one ("default", "cluttered": examples/arenas/<name>.yaml).
 * Anything with a slash or an extension is a path.
 */
export function findArena(nameOrFile: string, seed?: number): Arena {
  const { file, builtIn } = arenaFile(nameOrFile);
  if (builtIn && !existsSync(file))
    throw new Error(`no built-in arena "${nameOrFile}" (examples/arenas/${nameOrFile}.yaml); give a path to an arena file`);
  return loadArena(file, seed);
}

/** Whether an arena is given by the name of a built-in one (anything with a slash or an extension is a path). */
export const isBuiltInArena = (nameOrFile: string): boolean => !/[\\/]|\.(ya?ml|json)$/i.test(nameOrFile);

/** The file of an arena given by path, or by the name of a built-in one. */
export function arenaFile(nameOrFile: string): { file: string; builtIn: boolean } {
  if (!isBuiltInArena(nameOrFile)) return { file: nameOrFile, builtIn: false };
  return { file: join(arenaDir(), `${nameOrFile}.yaml`), builtIn: true };
}
