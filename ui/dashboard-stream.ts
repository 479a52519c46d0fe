// What the dashboard streams to its clients: spike frames (binary, decimated, frameHz) from the
// bridge's spike tap and telemetry (JSON, telemetryHz). A client is any StreamSocket: a WebSocket the
// Flux process accepted (ui/ws.ts), or the page's own IDE in a browser tab (web/ide.ts). Nothing here
// blocks the engine: a slow client loses frames, the controller does not wait.
import type { Bridge } from '../bridge/bridge.js';
import type { RunControl } from './run-control.js';
import type { Simulation } from '../sim/simulation.js';
import type { EditSession, RunningNode } from './session.js';
import { ClientBudget, SpikeFrames } from './stream.js';
import { Telemetry, arenaOf, type TrailClient } from './telemetry.js';
import type { Traces } from './traces.js';

/** The stream's bounds, resolved from DashboardLimits. */
export interface StreamLimits {
  clientBytesPerSecond: number;
  clientBufferBytes: number;
  frameHz: number;
  telemetryHz: number;
  rowsPerPopulation: number;
  /** Asked for; fewer when a frame would not fit a client's share of the bound. */
  spikesPerFrame: number;
}

/** A client's end of the stream: what a WebSocket offers a server, in a few words. */
export interface StreamSocket {
  readonly open: boolean;
  /** Bytes sent but not yet taken by the client. */
  readonly bufferedAmount: number;
  send(data: string | Uint8Array): void;
  /** Cuts the client off (its close listener runs). */
  terminate(): void;
  onClose(listener: () => void): void;
}

interface Client extends TrailClient {
  ws: StreamSocket;
}

const utf8 = new TextEncoder();
/** A message's size on the wire. */
const byteLength = (text: string): number => (typeof Buffer === 'undefined' ? utf8.encode(text).length : Buffer.byteLength(text));

export interface StreamTotals {
  bytesSent: number;
  framesSent: number;
  framesDropped: number;
  telemetrySent: number;
}

export class DashboardStream {
  private readonly clients = new Set<Client>();
  private readonly totals: StreamTotals = { bytesSent: 0, framesSent: 0, framesDropped: 0, telemetrySent: 0 };
  private readonly frames: SpikeFrames;
  private readonly telemetry: Telemetry;
  private tapped: Bridge | null = null;
  private layoutOf: unknown = null;
  /** The sample of the current telemetry period, shared by every client while it is sent. */
  private shared: Record<string, unknown> | null = null;
  private lastSample: Record<string, unknown> | null = null;
  private lastSampleAt = 0;
  private timers: ReturnType<typeof setInterval>[] = [];

  constructor(
    private readonly node: RunningNode,
    private readonly session: EditSession,
    private readonly sim: Simulation | undefined,
    private readonly limits: StreamLimits,
    run?: RunControl,
    private readonly traces?: Traces,
  ) {
    // A frame must fit a client's share of the bound (with a quarter left for telemetry), or it could never be sent.
    const fitting = Math.floor(((limits.clientBytesPerSecond * 0.75) / limits.frameHz - 20 - 12 * 64) / 4);
    this.frames = new SpikeFrames(limits.rowsPerPopulation, Math.max(64, Math.min(limits.spikesPerFrame, fitting)));
    this.telemetry = new Telemetry(node, session, this.frames, sim, limits.clientBytesPerSecond, run);
  }

  /** Takes the layout, follows the session's changes and starts the frame and telemetry timers. */
  start(): void {
    this.refreshLayout();
    this.session.onChange = (reason) => {
      this.refreshLayout();
      this.broadcast({ type: 'circuit', version: this.session.version, reason });
    };
    const telemetryTimer = setInterval(() => this.sendTelemetry(), 1000 / this.limits.telemetryHz);
    const frameTimer = setInterval(() => this.sendFrames(), 1000 / this.limits.frameHz);
    // In Node the timers do not keep the process alive (a page's timers have no unref).
    for (const t of [telemetryTimer, frameTimer]) (t as { unref?: () => void }).unref?.();
    this.timers = [telemetryTimer, frameTimer];
  }

  stopTimers(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Clients streamed to now. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** The status for GET /api/status: the last sample when clients keep it fresh; else a new one. */
  status(): Record<string, unknown> {
    if (!this.lastSample || performance.now() - this.lastSampleAt > 500) {
      this.lastSample = this.sample();
      this.lastSampleAt = performance.now();
    }
    const { type: _t, ...status } = this.lastSample;
    return status;
  }

  stats(): StreamTotals & { clients: number } {
    return { clients: this.clients.size, ...this.totals };
  }

  close(): void {
    this.stopTimers();
    this.traces?.stop();
    this.tapped?.setSpikeTap(null);
    this.tapped = null;
    for (const c of [...this.clients]) c.ws.terminate();
    this.clients.clear();
  }

  /** A new client: it gets the hello (layout, arena, bounds) and the current telemetry at once. */
  attach(ws: StreamSocket): void {
    const { clientBytesPerSecond, clientBufferBytes, frameHz, telemetryHz } = this.limits;
    const client: Client = { ws, budget: new ClientBudget(clientBytesPerSecond, clientBufferBytes), trailTime: -Infinity };
    this.clients.add(client);
    ws.onClose(() => {
      this.clients.delete(client);
      this.updateTap();
    });
    const { rowsPerPopulation, spikesPerFrame } = this.frames;
    const hello = {
      type: 'hello',
      version: this.session.version,
      layout: this.frames.layout,
      arena: this.sim ? arenaOf(this.sim) : null,
      limits: { clientBytesPerSecond, frameHz, telemetryHz, rowsPerPopulation, spikesPerFrame },
    };
    this.sendJson(client, hello, true);
    this.updateTap();
    this.sendJson(client, this.telemetry.forClient(this.shared ?? this.sample(), client), true);
  }

  /** JSON messages always go (they are small), unless the client is backed up; they count against its budget. */
  private sendJson(c: Client, msg: unknown, always = false): void {
    if (!c.ws.open) return;
    // A client that has not read for this long gets cut: what waits for it is memory of this process.
    if (c.ws.bufferedAmount > 8 * this.limits.clientBufferBytes) return void c.ws.terminate();
    const text = JSON.stringify(msg);
    const bytes = byteLength(text);
    if (!c.budget.admitJson(bytes, c.ws.bufferedAmount, always)) return;
    this.totals.bytesSent += bytes;
    c.ws.send(text);
  }

  private sendFrame(c: Client, frame: Uint8Array): void {
    if (!c.ws.open) return;
    if (!c.budget.admitFrame(frame.length, c.ws.bufferedAmount)) {
      this.totals.framesDropped++;
      return;
    }
    this.totals.bytesSent += frame.length;
    this.totals.framesSent++;
    c.ws.send(frame);
  }

  private broadcast(msg: unknown): void {
    for (const c of this.clients) this.sendJson(c, msg, true);
  }

  private sendTelemetry(): void {
    if (this.clients.size === 0) return;
    this.shared = this.lastSample = this.sample();
    this.lastSampleAt = performance.now();
    // The traced samples since the last message go to every client, in the periodic message only (the
    // status and a newcomer's first message do not take them from the others).
    if (this.traces) this.shared = { ...this.shared, traces: this.traces.take() };
    for (const c of this.clients) this.sendJson(c, this.telemetry.forClient(this.shared, c));
    this.shared = null;
    this.totals.telemetrySent++;
  }

  private sendFrames(): void {
    // With no client the frames are taken all the same, so that none pile up.
    const frames = this.frames.take();
    if (this.clients.size === 0) return;
    for (const f of frames) for (const c of this.clients) this.sendFrame(c, f);
  }

  /** The telemetry common to every client, computed once per period; the layout and tap follow the node first. */
  private sample(): Record<string, unknown> {
    this.session.poll();
    if (this.layoutOf !== this.node.engine) this.refreshLayout();
    this.updateTap();
    return this.telemetry.sample();
  }

  private refreshLayout(): void {
    const e = this.node.engine;
    this.frames.setLayout(
      e.circuit.populations.map((p) => ({ name: p.name, size: p.size })),
      e.backend.dt,
    );
    this.layoutOf = e;
    this.broadcast({ type: 'layout', layout: this.frames.layout });
  }

  /** The spike tap is on while a client listens, on the node's current bridge (a hot swap replaces it). */
  private updateTap(): void {
    const want = this.clients.size > 0 ? this.node.bridge : null;
    if (this.tapped === want) return;
    this.tapped?.setSpikeTap(null);
    this.tapped = want;
    want?.setSpikeTap((t) => this.frames.add(t));
  }
}
