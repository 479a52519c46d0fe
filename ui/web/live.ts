// The browser's connection to the dashboard server: the JSON API (with the token when the page was
// opened with one) and the WebSocket stream (binary spike frames, JSON telemetry and notices).
// Protocol: see ui/stream.ts (frame layout) and ui/server.ts (messages).

import type { Layout } from './protocol.js';
export type { Layout, LayoutPopulation } from './protocol.js';

export interface SpikeFrame {
  layoutId: number;
  steps: number;
  first: number;
  populations: { index: number; total: number; packed: Uint32Array }[];
}

export interface IoInput {
  input: string;
  topic: string;
  type: string;
  path: string;
  value: number | { n: number; min: number; max: number; mean: number } | null;
  ageMs: number | null;
  stale: boolean;
}
export interface IoOutput {
  name: string;
  topic: string;
  type: string;
  values: Record<string, number>;
  safe: boolean;
  ageMs: number | null;
}

export interface Lidar {
  angleMin: number;
  angleIncrement: number;
  rangeMax: number;
  ranges: (number | null)[];
  pose: { x: number; y: number; yaw: number };
}

export interface Telemetry {
  version: number;
  step: number;
  timeMs: number;
  dt: number;
  backend: string;
  rtf: number;
  tick: { perSecond: number; meanMs: number; maxMs: number; hz: number };
  stats: Record<string, number>;
  rates: Record<string, number>;
  modulators: Record<string, number>;
  io: {
    inputs: IoInput[];
    outputs: IoOutput[];
    devices?: { name: string; status: string }[];
    extensions?: {
      name: string;
      type: string;
      kind: string;
      state: string;
      errors: number;
      lastError: string | null;
      outputs: Record<string, unknown>;
    }[];
  };
  robot: {
    time: number;
    pose: { x: number; y: number; yaw: number };
    commanded: { linear: number; angular: number };
    collisions: number;
    /** Path length driven so far (m). */
    driven: number;
    touching: boolean;
    lidar: Lidar | null;
  } | null;
  stream?: { bytesSent: number; droppedFrames: number; boundBytesPerSecond: number };
  trail?: [number, number, number][];
  /** Samples of the traced neurons since the last message. */
  traces?: { probes: TraceProbe[]; series: { t: number[]; v: number[] }[] };
  /** Run control (flux edit, no robot): null next to a robot. */
  run?: { running: boolean; speed: 'realtime' | 'fast' } | null;
}

export interface Obstacle {
  shape: 'box' | 'cylinder';
  x: number;
  y: number;
  yaw?: number;
  size?: [number, number];
  radius?: number;
}
export interface ArenaInfo {
  name: string;
  size: number;
  wall: { thickness: number };
  start: { x: number; y: number; yaw: number };
  obstacles: Obstacle[];
  robot: { radius: number };
}

/** The server's JSON messages on the live socket (ui/ws.ts, ui/telemetry.ts); spike frames are binary. */
type ServerMessage =
  | { type: 'hello'; layout: Layout; arena: ArenaInfo | null; version: number }
  | { type: 'layout'; layout: Layout }
  | { type: 'circuit'; version: number }
  | ({ type: 'telemetry' } & Telemetry);

/** History kept for the plots: one sample per telemetry message. */
export interface Sample {
  timeMs: number;
  rates: Record<string, number>;
  modulators: Record<string, number>;
}

/** A request's answer as the page reads it: the status, the JSON body, and Retry-After (seconds) where given. */
export interface Answer {
  status: number;
  body: unknown;
  retryAfter: number | null;
}

/** What the live stream delivers: JSON messages as text, spike frames as bytes. */
export interface StreamHandlers {
  open(): void;
  message(data: string | ArrayBuffer): void;
  /** The stream closed; `ended`: for good (the engine in the page stopped), so there is nothing to reconnect to. */
  close(ended?: boolean): void;
}

/**
 * How the IDE reaches its engine: a Flux process over HTTP and a WebSocket (remote, the default), or
 * an engine running in this page (web/ide.ts). The IDE is the same either way.
 */
export interface Connection {
  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer>;
  openStream(handlers: StreamHandlers): void;
}

/** The Flux process that served this page, with the token the page was opened with. */
function remoteConnection(): Connection {
  const token = new URLSearchParams(location.search).get('token');
  return {
    async request(method, path, body) {
      const headers: Record<string, string> = {};
      if (token) headers['X-Flux-Token'] = token;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const data: unknown = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
      const after = Number(res.headers.get('Retry-After'));
      return { status: res.status, body: data, retryAfter: Number.isFinite(after) && after > 0 ? after : null };
    },
    openStream(h) {
      const url = new URL('/ws', location.href);
      url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
      url.search = token ? `?token=${encodeURIComponent(token)}` : '';
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => h.open();
      ws.onclose = () => h.close();
      ws.onmessage = (ev: MessageEvent) => h.message(ev.data as string | ArrayBuffer);
    },
  };
}

let connection: Connection | null = null;

/** The IDE's connection: set once, before the page mounts the IDE; the remote one otherwise. */
export function useConnection(c: Connection): void {
  connection = c;
}

function current(): Connection {
  return (connection ??= remoteConnection());
}

/** A refused request: the server's message and, for a circuit the checker refused, its issues (JSON path, message). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[],
    readonly status = 0,
    /** Retry-After (seconds), when the server gave one. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

/** Calls the JSON API; resolves with the body, or rejects with an ApiError (the server's message, issues, status). */
export async function api<T = Record<string, unknown>>(path: string, body?: unknown): Promise<T> {
  const answer = await current().request(body === undefined ? 'GET' : 'POST', path, body);
  const data = answer.body as T & { error?: string; issues?: unknown };
  if (answer.status < 200 || answer.status >= 300) {
    const issues = Array.isArray(data.issues)
      ? data.issues.flatMap((i: unknown) => {
          const x = i as { path?: unknown; message?: unknown };
          return typeof x.path === 'string' && typeof x.message === 'string' ? [{ path: x.path, message: x.message }] : [];
        })
      : [];
    throw new ApiError(data.error ?? `${answer.status}`, issues, answer.status, answer.retryAfter);
  }
  return data;
}

/**
 * A request that builds the engine again (an element, a binding): the server spaces builds (at most one
 * a second), so one that came too soon is sent once more when the server says.
 */
export async function rebuildApi<T = Record<string, unknown>>(path: string, body: unknown): Promise<T> {
  return api<T>(path, body).catch(async (e: unknown) => {
    if (!(e instanceof ApiError) || e.status !== 429 || e.retryAfter === null || e.retryAfter > 5) throw e;
    await new Promise((r) => setTimeout(r, e.retryAfter! * 1000));
    return api<T>(path, body);
  });
}

export function decodeFrame(buf: ArrayBuffer): SpikeFrame | null {
  const v = new DataView(buf);
  if (buf.byteLength < 20 || v.getUint8(0) !== 1) return null;
  const n = v.getUint16(16, true);
  let o = 20;
  const populations: SpikeFrame['populations'] = [];
  for (let k = 0; k < n; k++) {
    const index = v.getUint16(o, true);
    const kept = v.getUint32(o + 4, true);
    const total = v.getUint32(o + 8, true);
    o += 12;
    // Copy out (the offset may not be 4-aligned in general; here it always is, but stay safe).
    const packed = new Uint32Array(kept);
    for (let j = 0; j < kept; j++, o += 4) packed[j] = v.getUint32(o, true);
    populations.push({ index, total, packed });
  }
  return { layoutId: v.getUint16(2, true), steps: v.getUint32(4, true), first: v.getFloat64(8, true), populations };
}

type Listener = () => void;

export interface TraceProbe {
  population: string;
  neuron: number;
  variable: string;
}

/** Samples kept per traced neuron (2 s at one a millisecond) and spikes kept for the raster's export. */
const TRACE_KEEP = 2000;
const SPIKES_KEEP = 100_000;

/** Everything live, in one place; views subscribe to what they draw. */
export class Live {
  layout: Layout = { id: 0, dt: 1, populations: [] };
  telemetry: Telemetry | null = null;
  arena: ArenaInfo | null = null;
  trail: [number, number, number][] = [];
  history: Sample[] = [];
  connected = false;
  /** The engine ended for good (in the page): no reconnecting. */
  ended = false;
  circuitVersion = 0;
  /** Spikes drawn (after decimation) and counted (all, as the server reports them). */
  spikesDrawn = 0;
  spikesTotal = 0;
  framesReceived = 0;
  bytesReceived = 0;
  /** The traced neurons and their recent samples (ms, value). */
  traces: { probes: TraceProbe[]; t: number[][]; v: number[][] } = { probes: [], t: [], v: [] };
  /** The most recent spikes the raster drew, for its export: time (ms), population index, neuron. */
  spikes: { t: number[]; pop: number[]; neuron: number[] } = { t: [], pop: [], neuron: [] };
  private frameListeners = new Set<(f: SpikeFrame) => void>();
  private listeners = new Set<Listener>();
  private circuitListeners = new Set<(version: number) => void>();
  private retry = 500;

  connect(): void {
    current().openStream({
      open: () => {
        this.connected = true;
        this.retry = 500;
        this.emit();
      },
      close: (ended) => {
        this.connected = false;
        this.ended ||= ended === true;
        this.emit();
        if (this.ended) return;
        setTimeout(() => this.connect(), this.retry);
        this.retry = Math.min(5000, this.retry * 2);
      },
      message: (data) => this.receive(data),
    });
  }

  private receive(data: string | ArrayBuffer): void {
    if (data instanceof ArrayBuffer) {
      this.bytesReceived += data.byteLength;
      const f = decodeFrame(data);
      if (!f || f.layoutId !== this.layout.id) return;
      this.framesReceived++;
      for (const p of f.populations) {
        this.spikesDrawn += p.packed.length;
        this.spikesTotal += p.total;
      }
      this.keepSpikes(f);
      for (const l of this.frameListeners) l(f);
      return;
    }
    this.bytesReceived += data.length;
    const msg: ServerMessage = JSON.parse(data);
    if (msg.type === 'hello') {
      this.layout = msg.layout;
      this.arena = msg.arena;
      this.trail = [];
      this.noteCircuit(msg.version);
    } else if (msg.type === 'layout') {
      this.layout = msg.layout;
      // The kept spikes index the old layout's populations (a raster export must not mix them).
      this.spikes = { t: [], pop: [], neuron: [] };
    } else if (msg.type === 'circuit') this.noteCircuit(msg.version);
    else if (msg.type === 'telemetry') {
      const t = msg;
      this.telemetry = t;
      if (t.trail?.length) {
        this.trail.push(...t.trail);
        if (this.trail.length > 6000) this.trail.splice(0, this.trail.length - 6000);
      }
      const last = this.history.at(-1);
      if (last && t.timeMs < last.timeMs) this.history = [];
      this.history.push({ timeMs: t.timeMs, rates: t.rates, modulators: t.modulators });
      if (this.history.length > 600) this.history.shift();
      if (t.traces) this.keepTraces(t.traces);
      if (t.version !== this.circuitVersion) this.noteCircuit(t.version);
    }
    this.emit();
  }

  private keepTraces(x: NonNullable<Telemetry['traces']>): void {
    const same =
      x.probes.length === this.traces.probes.length &&
      x.probes.every(
        (p, k) =>
          p.population === this.traces.probes[k].population &&
          p.neuron === this.traces.probes[k].neuron &&
          p.variable === this.traces.probes[k].variable,
      );
    if (!same) this.traces = { probes: x.probes, t: x.probes.map(() => []), v: x.probes.map(() => []) };
    x.series.forEach((s, k) => {
      const t = this.traces.t[k];
      const v = this.traces.v[k];
      // A rebuild starts the clock again: its samples start a new trace.
      if (t.length && s.t.length && s.t[0] < t[t.length - 1]) {
        t.length = 0;
        v.length = 0;
      }
      t.push(...s.t);
      v.push(...s.v);
      if (t.length > TRACE_KEEP) {
        t.splice(0, t.length - TRACE_KEEP);
        v.splice(0, v.length - TRACE_KEEP);
      }
    });
  }

  private keepSpikes(f: SpikeFrame): void {
    const s = this.spikes;
    const dt = this.layout.dt;
    for (const p of f.populations) {
      const pop = this.layout.populations[p.index];
      if (!pop) continue;
      for (const packed of p.packed) {
        // Packed: the step within the frame in the high bits, the drawn row in the low 16 (stream.ts).
        s.t.push((f.first + (packed >>> 16)) * dt);
        s.pop.push(p.index);
        s.neuron.push((packed & 0xffff) * pop.stride);
      }
    }
    if (s.t.length > SPIKES_KEEP) {
      const cut = s.t.length - SPIKES_KEEP;
      s.t.splice(0, cut);
      s.pop.splice(0, cut);
      s.neuron.splice(0, cut);
    }
  }

  private noteCircuit(version: number): void {
    if (version === this.circuitVersion) return;
    this.circuitVersion = version;
    for (const l of this.circuitListeners) l(version);
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }

  onChange(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  onFrame(l: (f: SpikeFrame) => void): () => void {
    this.frameListeners.add(l);
    return () => this.frameListeners.delete(l);
  }

  onCircuit(l: (version: number) => void): () => void {
    this.circuitListeners.add(l);
    return () => this.circuitListeners.delete(l);
  }
}

/** Colours by index, for populations and series. */
export const PALETTE = [
  '#1e6fd9',
  '#e4572e',
  '#2e9e5b',
  '#9c27b0',
  '#f2a900',
  '#00838f',
  '#6d4c41',
  '#d81b60',
  '#5c6bc0',
  '#7cb342',
  '#8d6e63',
  '#26a69a',
];

export function colorOf(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** A value for people: 3 significant digits, k/M for large ones. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1e6) return (x / 1e6).toPrecision(digits) + 'M';
  if (a >= 1e4) return (x / 1e3).toPrecision(digits) + 'k';
  if (a === 0) return '0';
  if (a >= 1) return x.toFixed(Math.max(0, digits - 1 - Math.floor(Math.log10(a))));
  return x.toPrecision(digits);
}
