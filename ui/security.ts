// Pure checks the dashboard applies to what clients send: the request target of any request (a
// malformed one must get an HTTP error, never an exception), and the budget of live additions (how
// many neurons, synapses and bytes edits and module inserts may add over a whole session, checked
// before anything is built: compiling a million neurons holds the process for seconds); and the guards
// of the dashboard's server (token, Host, Origin, request size and edit rate), below.
import { timingSafeEqual } from 'node:crypto';

/** The request target as a URL, or null when it is not one (`//`, `//a:b/ws`, `http://[/ws`). */
export function requestTarget(raw: unknown): URL | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 8192) return null;
  // Only origin-form ("/path?query") is served: absolute-form and authority-form name other servers.
  if (!raw.startsWith('/') || raw.startsWith('//')) return null;
  try {
    return new URL(raw, 'http://flux.invalid');
  } catch {
    return null;
  }
}

/** Edits that change the network's structure (the backend rebuilds buffers): they may take longer than a tick. */
export function isStructuralEdit(edit: unknown): boolean {
  const op = edit !== null && typeof edit === 'object' && 'op' in edit ? edit.op : undefined;
  return op === 'add_population' || op === 'add_projection' || op === 'remove_population' || op === 'remove_projection';
}

/** What a live addition needs; bytes are estimated from the counts (see BYTES_PER_*). */
export interface Addition {
  neurons: number;
  synapses: number;
}

/** State, parameters and spike buffers of one neuron (an upper estimate over the models). */
export const BYTES_PER_NEURON = 64;
/** Target index, weight, delay and, when plastic, the post-side index and a trace (see synapseBytes). */
export const BYTES_PER_SYNAPSE = 20;

export function additionBytes(a: Addition): number {
  return a.neurons * BYTES_PER_NEURON + a.synapses * BYTES_PER_SYNAPSE;
}

export interface BudgetLimits {
  /** Neurons all live additions of a session may add together (default: 5,000 or the running network's count, the larger). */
  totalNeurons?: number;
  /**
   * Synapses all live additions of a session may add together, estimated from connectivity (default:
   * 500,000 or the running network's count, the larger).
   */
  totalSynapses?: number;
  /** Estimated bytes all live additions may take together (default: what the neuron and synapse budgets take, at most). */
  totalBytes?: number;
}

/**
 * The default budget: live additions may at most about double the network the node started with (so
 * the loop keeps most of its speed), with a floor for small circuits that are being grown by hand.
 */
export function defaultBudget(start: Addition): Required<BudgetLimits> {
  const neurons = Math.max(5_000, start.neurons);
  const synapses = Math.max(500_000, start.synapses);
  return { totalNeurons: neurons, totalSynapses: synapses, totalBytes: additionBytes({ neurons, synapses }) };
}

/**
 * The running total of a session's live additions. Removals give nothing back: an add/remove loop would
 * otherwise stall the loop again and again within the budget.
 */
export class LiveBudget {
  private used: Addition = { neurons: 0, synapses: 0 };
  readonly neurons: number;
  readonly synapses: number;
  readonly bytes: number;

  constructor(limits: BudgetLimits = {}, start: Addition = { neurons: 0, synapses: 0 }) {
    const d = defaultBudget(start);
    this.neurons = limits.totalNeurons ?? d.totalNeurons;
    this.synapses = limits.totalSynapses ?? d.totalSynapses;
    this.bytes = limits.totalBytes ?? d.totalBytes;
  }

  get spent(): Addition & { bytes: number } {
    return { ...this.used, bytes: additionBytes(this.used) };
  }

  /** Why `a` does not fit what is left (null when it fits). Non-finite or negative needs never fit. */
  refusal(what: string, a: Addition): string | null {
    const need = { neurons: a.neurons, synapses: a.synapses, bytes: additionBytes(a) };
    const left = {
      neurons: this.neurons - this.used.neurons,
      synapses: this.synapses - this.used.synapses,
      bytes: this.bytes - additionBytes(this.used),
    };
    for (const k of ['neurons', 'synapses', 'bytes'] as const) {
      if (!(need[k] >= 0 && need[k] <= left[k]))
        return (
          `${what} would add ${fmt(need[k])} ${k === 'bytes' ? 'bytes (estimated)' : k}, more than is left of the dashboard's budget ` +
          `for live additions (${fmt(Math.max(0, left[k]))} of ${fmt(this[k])} ${k} per session: save, and restart Flux to start afresh; ` +
          `DashboardLimits.total${k[0].toUpperCase()}${k.slice(1)} sets it)`
        );
    }
    return null;
  }

  commit(a: Addition): void {
    this.used = { neurons: this.used.neurons + a.neurons, synapses: this.used.synapses + a.synapses };
  }
}

function fmt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);
}

// ---- the guards of the dashboard's HTTP server and WebSocket -----------------------------------------
// Pure functions of what a request carries (its target, its headers) and of how the dashboard was bound;
// ui/routes.ts and ui/ws.ts apply them. Every bind needs a token unless a loopback bind waived it,
// loopback binds check Host (DNS rebinding), and writes and the WebSocket check Origin.

/** The headers the guards read, as Node gives them (`req.headers` fits). */
export interface GuardedHeaders {
  host?: string;
  origin?: string;
  authorization?: string;
  cookie?: string;
  'x-flux-token'?: string | string[];
}

/** How the dashboard was bound: its address, and its token (null: served without one, on loopback only). */
export interface Bind {
  host: string;
  token: string | null;
}

/** A refusal: the HTTP status and the JSON error the client gets. */
export interface Refusal {
  status: number;
  error: string;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The name in a Host header, without its port (`[::1]:8765` -> `[::1]`, `localhost:8765` -> `localhost`). */
export function hostName(header: string): string {
  return header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0];
}

/** Whether a request's Host header names this dashboard. Only loopback binds check it: elsewhere the token guards. */
export function allowedHost(header: string | undefined, bindHost: string): boolean {
  if (!isLoopback(bindHost)) return true;
  if (!header) return false;
  const name = hostName(header);
  return isLoopback(name) || name === bindHost;
}

/** Whether an Origin header (absent: not a browser's cross-site request) is the page's own. */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Whether what a client presented is the token, compared in constant time. */
export function sameToken(given: unknown, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A cookie's value from a Cookie header (undefined when absent). A malformed escape gives its raw
 * text, which matches no token: the request is then refused as unauthenticated (401), not a 500.
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    const raw = v.join('=');
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

/** The token a request presents: header X-Flux-Token, else Authorization: Bearer, else ?token=, else the page's cookie. */
export function presentedToken(headers: GuardedHeaders, query: URLSearchParams): unknown {
  const auth = headers.authorization;
  const bearer = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
  return headers['x-flux-token'] ?? bearer ?? query.get('token') ?? cookieValue(headers.cookie, TOKEN_COOKIE);
}

export const TOKEN_COOKIE = 'flux_token';

export function authorized(token: string | null, headers: GuardedHeaders, query: URLSearchParams): boolean {
  return token === null || sameToken(presentedToken(headers, query), token);
}

/**
 * Whether an HTTP request may go on to the routes: a target that is a path (400), a Host this dashboard
 * answers to (403), and the token (401), in that order. Null when it may.
 */
export function requestRefusal(bind: Bind, target: URL | null, headers: GuardedHeaders): Refusal | null {
  if (!target) return { status: 400, error: 'the request target is not a path' };
  if (!allowedHost(headers.host, bind.host))
    return {
      status: 403,
      error: `unexpected Host ${JSON.stringify(String(headers.host).slice(0, 100))}: the dashboard answers on ${bind.host} only`,
    };
  if (!authorized(bind.token, headers, target.searchParams))
    return { status: 401, error: 'this dashboard needs its token: ?token=..., header X-Flux-Token or Authorization: Bearer' };
  return null;
}

/** The page was opened with ?token=: later requests (scripts, modules) carry it as a cookie. The Set-Cookie value, or null. */
export function tokenCookie(token: string | null, query: URLSearchParams): string | null {
  if (token === null || !sameToken(query.get('token') ?? undefined, token)) return null;
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}

/** What the write guard reads of a request (isJson: its Content-Type is JSON, read only when it has a body). */
export interface WriteRequest {
  origin: string | undefined;
  host: string | undefined;
  contentLength: string | undefined;
  transferEncoding: string | undefined;
  isJson: () => boolean;
}

/** Writes: same origin only (403), bounded size (413), JSON only (415). Null when the write may go on to the rate limit. */
export function writeRefusal(req: WriteRequest, bodyBytes: number): Refusal | null {
  if (!sameOrigin(req.origin, req.host)) return { status: 403, error: 'cross-origin request refused' };
  const length = Number(req.contentLength ?? 0);
  if (length > bodyBytes) return { status: 413, error: `request body over ${bodyBytes} bytes` };
  const hasBody = length > 0 || req.transferEncoding !== undefined;
  if (hasBody && !req.isJson()) return { status: 415, error: 'send JSON (Content-Type: application/json)' };
  return null;
}

/** The edit rate: a token bucket of `perSecond` edits that refills continuously, with a burst of as many. */
export class EditBucket {
  private level: number;
  private at: number;

  /** `now` in milliseconds (performance.now(), or a manual clock in tests). */
  constructor(
    readonly perSecond: number,
    now: number,
  ) {
    this.level = perSecond;
    this.at = now;
  }

  /** Takes one edit at `now` (ms); false when the bucket is empty (the client gets 429). */
  take(now: number): boolean {
    this.level = Math.min(this.perSecond, this.level + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (this.level < 1) return false;
    this.level -= 1;
    return true;
  }
}

/** What an upgrade request to the WebSocket must pass; the status line it gets otherwise. */
export interface UpgradeRefusal {
  code: number;
  text: string;
}

/**
 * Whether a WebSocket upgrade is refused: a target that is not a path, another path than /ws, a foreign
 * Host or Origin, no token, or too many clients. The WebSocket takes the token from the query only (a
 * cookie would ride along with cross-site attempts).
 */
export function upgradeRefusal(
  bind: Bind,
  target: URL | null,
  headers: GuardedHeaders,
  clients: number,
  maxClients: number,
): UpgradeRefusal | null {
  if (!target) return { code: 400, text: 'Bad Request' };
  if (target.pathname !== '/ws') return { code: 404, text: 'Not Found' };
  if (!allowedHost(headers.host, bind.host) || !sameOrigin(headers.origin, headers.host)) return { code: 403, text: 'Forbidden' };
  if (bind.token !== null && !sameToken(target.searchParams.get('token') ?? undefined, bind.token))
    return { code: 401, text: 'Unauthorized' };
  if (clients >= maxClients) return { code: 503, text: 'Service Unavailable' };
  return null;
}
