// The dashboard's guards, over plain HTTP and WebSocket on this machine: the token on a non-loopback
// bind (HTTP and WebSocket), Host and Origin checks, saving only the opened circuit file, the request
// size limit and the edit rate limit. A real Flux node (memory transport, CPU backend) runs behind it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { FluxNode } from '../bridge/node/node.js';
import { startDashboard, isLoopback, type Dashboard } from '../ui/server.js';
import { example, tempDir, libraryCircuit } from './helpers.js';

const dir = tempDir('flux-dashboard-sec-');
const CIRCUIT = join(dir, 'circuit.yaml');
writeFileSync(CIRCUIT, readFileSync(libraryCircuit('braitenberg/braitenberg'), 'utf8').replace('$schema: ../../schema/circuit.schema.json', ''));
const BRIDGE = join(dir, 'bridge.yaml');
writeFileSync(BRIDGE, readFileSync(example('bridges/braitenberg.yaml'), 'utf8').replace(/^circuit: .*$/m, 'circuit: ./circuit.yaml'));

let node: FluxNode;
/** Bound to 0.0.0.0 (not loopback): a token is required. Reached here through 127.0.0.1. */
let open: Dashboard;
/** Bound to 127.0.0.1: no token. */
let local: Dashboard;

/** A raw HTTP request (fetch cannot set Host). */
function http(port: number, path: string, o: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: o.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

const post = (d: Dashboard, path: string, body: unknown, headers: Record<string, string> = {}) =>
  http(d.port, path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(d.token ? { 'X-Flux-Token': d.token } : {}), ...headers }, body: JSON.stringify(body) });

/** Opens a WebSocket; resolves with the first message, or with the HTTP status that refused it. */
function ws(port: number, query: string, headers: Record<string, string> = {}): Promise<{ open: boolean; status?: number; first?: Record<string, unknown> }> {
  return new Promise((resolve) => {
    const sock = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`, { headers });
    sock.on('unexpected-response', (_req, res) => {
      resolve({ open: false, status: res.statusCode });
      sock.terminate();
    });
    sock.on('message', (data, binary) => {
      if (binary) return;
      resolve({ open: true, first: JSON.parse(data.toString()) as Record<string, unknown> });
      sock.close();
    });
    sock.on('error', () => resolve({ open: false }));
  });
}

describe('dashboard security', () => {
  beforeAll(async () => {
    node = await FluxNode.start({ bridge: BRIDGE, transport: 'memory', backend: 'cpu', threads: 1, log: () => undefined });
    open = await startDashboard({ node, host: '0.0.0.0', port: 0 });
    local = await startDashboard({ node, port: 0 });
  });
  afterAll(async () => {
    await open?.close();
    await local?.close();
    await node?.shutdown();
  });

  it('loopback is recognised; 0.0.0.0 is not loopback and gets a long random token', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('192.168.1.5')).toBe(false);
    expect(local.token).toBeNull();
    expect(open.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(open.url).toContain(`?token=${open.token}`);
  });

  it('a non-loopback bind answers 401 without the token, on the page and the API', async () => {
    expect((await http(open.port, '/')).status).toBe(401);
    expect((await http(open.port, '/api/circuit')).status).toBe(401);
    expect((await http(open.port, '/app/main.js')).status).toBe(401);
    expect((await http(open.port, '/api/circuit', { headers: { 'X-Flux-Token': 'wrong' } })).status).toBe(401);
    expect((await http(open.port, '/api/circuit', { headers: { 'X-Flux-Token': open.token!.slice(1) } })).status).toBe(401);
    expect((await post(open, '/api/edit', { op: 'set_param', population: 'brake', param: 'tau_m', value: '5 ms' }, { 'X-Flux-Token': 'wrong' })).status).toBe(401);
    expect(node.engine.flat.doc.populations!.brake.params?.tau_m).toBeUndefined();
  });

  it('with the token (header, bearer, query, then the cookie the page gets) it answers', async () => {
    expect((await http(open.port, '/api/circuit', { headers: { 'X-Flux-Token': open.token! } })).status).toBe(200);
    expect((await http(open.port, '/api/circuit', { headers: { Authorization: `Bearer ${open.token}` } })).status).toBe(200);
    const page = await http(open.port, `/?token=${open.token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('importmap');
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    expect(cookie).toBe(`flux_token=${open.token}`);
    expect((await http(open.port, '/app/main.js', { headers: { Cookie: cookie } })).status).toBe(200);
    expect((await http(open.port, '/vendor/preact/dist/preact.mjs', { headers: { Cookie: cookie } })).status).toBe(200);
  });

  it('the WebSocket is refused without the token and opens with it', async () => {
    expect(await ws(open.port, '')).toEqual({ open: false, status: 401 });
    expect(await ws(open.port, '?token=nope')).toEqual({ open: false, status: 401 });
    // The cookie is not enough for the WebSocket: it takes the token from the query only.
    expect((await ws(open.port, '', { Cookie: `flux_token=${open.token}` })).status).toBe(401);
    const ok = await ws(open.port, `?token=${encodeURIComponent(open.token!)}`);
    expect(ok.open).toBe(true);
    expect(ok.first?.type).toBe('hello');
  });

  it('loopback needs no token but refuses foreign Host headers (DNS rebinding) and cross-origin writes', async () => {
    expect((await http(local.port, '/api/circuit')).status).toBe(200);
    expect((await http(local.port, '/api/circuit', { headers: { Host: `evil.example:${local.port}` } })).status).toBe(403);
    const edit = { op: 'set_param', population: 'brake', param: 'tau_m', value: '15 ms' };
    expect((await post(local, '/api/edit', edit, { Origin: 'http://evil.example' })).status).toBe(403);
    expect(node.engine.flat.doc.populations!.brake.params?.tau_m).toBeUndefined();
    expect((await ws(local.port, '', { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await ws(local.port, '')).open).toBe(true);
    // A form post (text/plain, no preflight in a browser) is not an edit.
    expect((await http(local.port, '/api/edit', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(edit) })).status).toBe(415);
    expect(node.engine.flat.doc.populations!.brake.params?.tau_m).toBeUndefined();
  });

  it('saving writes only the opened circuit file', async () => {
    const other = join(dir, 'other.yaml');
    const r = await post(open, '/api/save', { path: other });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error).toContain(CIRCUIT);
    expect(existsSync(other)).toBe(false);
    const outside = await post(open, '/api/save', { path: '/etc/passwd' });
    expect(outside.status).toBe(403);
    const traversal = await post(open, '/api/save', { path: join(dir, '..', 'circuit.yaml') });
    expect(traversal.status).toBe(403);
    // Naming the opened file (or nothing) saves it.
    const before = readFileSync(CIRCUIT, 'utf8');
    const same = await post(open, '/api/save', { path: CIRCUIT });
    expect(same.status, same.body).toBe(200);
    expect(readFileSync(CIRCUIT, 'utf8')).toBe(before); // nothing changed, nothing to rewrite
  });

  it('an oversized request is refused with 413 and changes nothing', async () => {
    const huge = { op: 'add_population', name: 'big', population: { model: 'lif', size: 10, description: 'x'.repeat(100 * 1024) } };
    const r = await post(open, '/api/edit', huge);
    expect(r.status).toBe(413);
    expect(node.engine.circuit.populations.some((p) => p.name === 'big')).toBe(false);
    // Also without a Content-Length (chunked): the body parser's own limit.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: open.port, path: '/api/edit', method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Flux-Token': open.token!, 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' || (e as NodeJS.ErrnoException).code === 'EPIPE' ? resolve(413) : reject(e)));
      for (let i = 0; i < 10; i++) req.write(JSON.stringify(huge).slice(i * 11000, (i + 1) * 11000));
      req.end();
    });
    expect(chunked).toBe(413);
  });

  it('edits beyond 20 per second get 429', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // a full bucket
    // Invalid edits (no such population) are cheap and change nothing; they still count.
    // Sent at once, so that the bucket refills little while they arrive, even on a loaded machine.
    const t0 = performance.now();
    const codes = (await Promise.all(Array.from({ length: 40 }, () => post(local, '/api/edit', { op: 'set_param', population: 'nope', param: 'tau_m', value: 1 })))).map((r) => r.status);
    const refill = Math.ceil(((performance.now() - t0) / 1000) * 20);
    expect(codes.filter((c) => c === 400).length).toBeGreaterThanOrEqual(20);
    expect(codes.filter((c) => c === 400).length).toBeLessThanOrEqual(20 + refill);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(Math.min(10, 20 - refill));
    expect(codes.every((c) => c === 400 || c === 429)).toBe(true);
    // After a second the budget is back.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await post(local, '/api/edit', { op: 'set_param', population: 'nope', param: 'tau_m', value: 1 })).status).toBe(400);
  });
});
