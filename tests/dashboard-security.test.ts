// The dashboard's guards, over plain HTTP and WebSocket on this machine: the token on every bind by
// default (HTTP and WebSocket), Host and Origin checks, saving only the opened circuit file, the request
// size limit and the edit rate limit; and the hostile requests of issue 16 (D1 malformed targets, D4
// inserts by path, D6 inherited names, D9 planted links, D3 the budget of live additions). A real Flux
// node (memory transport, CPU backend) runs behind it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { FluxNode } from '../bridge/node/node.js';
import { startDashboard, type Dashboard } from '../ui/server.js';
import { isLoopback } from '../ui/security.js';
import { EditSession, RefusedEdit, type RunningNode } from '../ui/session.js';
import { planSave, writePlan, SaveError } from '../ui/save.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { example, tempDir, libraryCircuit } from './helpers.js';

const dir = tempDir('flux-dashboard-sec-');
const CIRCUIT = join(dir, 'circuit.yaml');
writeFileSync(
  CIRCUIT,
  readFileSync(libraryCircuit('braitenberg/braitenberg'), 'utf8').replace('$schema: ../../schema/circuit.schema.json', ''),
);
const BRIDGE = join(dir, 'bridge.yaml');
writeFileSync(BRIDGE, readFileSync(example('bridges/braitenberg.yaml'), 'utf8').replace(/^circuit: .*$/m, 'circuit: ./circuit.yaml'));

let node: FluxNode;
/** Bound to 0.0.0.0 (not loopback): a token is required. Reached here through 127.0.0.1. */
let open: Dashboard;
/** Bound to 127.0.0.1 with the defaults: a token is required there too. */
let local: Dashboard;
/** Bound to 127.0.0.1 with noToken: the explicit opt-out. */
let bare: Dashboard;

/** A raw HTTP request (fetch cannot set Host). */
function http(
  port: number,
  path: string,
  o: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
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
  http(d.port, path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(d.token ? { 'X-Flux-Token': d.token } : {}), ...headers },
    body: JSON.stringify(body),
  });

/** Opens a WebSocket; resolves with the first message, or with the HTTP status that refused it. */
function ws(
  port: number,
  query: string,
  headers: Record<string, string> = {},
): Promise<{ open: boolean; status?: number; first?: Record<string, unknown> }> {
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
    bare = await startDashboard({ node, port: 0, noToken: true });
  });
  afterAll(async () => {
    await open?.close();
    await local?.close();
    await bare?.close();
    await node?.shutdown();
  });

  it('loopback is recognised; 0.0.0.0 is not loopback and gets a long random token', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('192.168.1.5')).toBe(false);
    expect(bare.token).toBeNull();
    expect(open.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(open.url).toContain(`?token=${open.token}`);
  });

  it("loopback needs the token by default too (Jupyter's rule), and its printed URL carries it", async () => {
    expect(local.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(local.token).not.toBe(open.token);
    expect(local.url).toBe(`http://127.0.0.1:${local.port}/?token=${local.token}`);
    expect((await http(local.port, '/')).status).toBe(401);
    expect((await http(local.port, '/api/circuit')).status).toBe(401);
    expect(
      (
        await http(local.port, '/api/edit', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ op: 'set_param', population: 'brake', param: 'tau_m', value: '5 ms' }),
        })
      ).status,
    ).toBe(401);
    expect(
      (await http(local.port, '/api/save', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status,
    ).toBe(401);
    expect(await ws(local.port, '')).toEqual({ open: false, status: 401 });
    expect(node.engine.flat.doc.populations!.brake.params?.tau_m).toBeUndefined();
    // The page opened from the printed URL works: its scripts through the cookie, its socket with ?token=.
    const page = await http(local.port, `/?token=${local.token}`);
    expect(page.status).toBe(200);
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    expect((await http(local.port, '/app/main.js', { headers: { Cookie: cookie } })).status).toBe(200);
    expect((await ws(local.port, `?token=${local.token}`)).open).toBe(true);
    // Without a token only when asked, and only on loopback.
    await expect(startDashboard({ node, host: '0.0.0.0', port: 0, noToken: true })).rejects.toThrow(/loopback only/);
  });

  it('a non-loopback bind answers 401 without the token, on the page and the API', async () => {
    expect((await http(open.port, '/')).status).toBe(401);
    expect((await http(open.port, '/api/circuit')).status).toBe(401);
    expect((await http(open.port, '/app/main.js')).status).toBe(401);
    expect((await http(open.port, '/api/circuit', { headers: { 'X-Flux-Token': 'wrong' } })).status).toBe(401);
    expect((await http(open.port, '/api/circuit', { headers: { 'X-Flux-Token': open.token!.slice(1) } })).status).toBe(401);
    expect(
      (await post(open, '/api/edit', { op: 'set_param', population: 'brake', param: 'tau_m', value: '5 ms' }, { 'X-Flux-Token': 'wrong' }))
        .status,
    ).toBe(401);
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

  it('loopback with noToken needs no token but refuses foreign Host headers (DNS rebinding) and cross-origin writes', async () => {
    expect((await http(bare.port, '/api/circuit')).status).toBe(200);
    expect((await http(bare.port, '/api/circuit', { headers: { Host: `evil.example:${bare.port}` } })).status).toBe(403);
    const edit = { op: 'set_param', population: 'brake', param: 'tau_m', value: '15 ms' };
    expect((await post(bare, '/api/edit', edit, { Origin: 'http://evil.example' })).status).toBe(403);
    expect(node.engine.flat.doc.populations!.brake.params?.tau_m).toBeUndefined();
    expect((await ws(bare.port, '', { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await ws(bare.port, '')).open).toBe(true);
    // A form post (text/plain, no preflight in a browser) is not an edit.
    expect(
      (await http(bare.port, '/api/edit', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(edit) }))
        .status,
    ).toBe(415);
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
      const req = request(
        {
          host: '127.0.0.1',
          port: open.port,
          path: '/api/edit',
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Flux-Token': open.token!, 'Transfer-Encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', (e) =>
        (e as NodeJS.ErrnoException).code === 'ECONNRESET' || (e as NodeJS.ErrnoException).code === 'EPIPE' ? resolve(413) : reject(e),
      );
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
    const codes = (
      await Promise.all(
        Array.from({ length: 40 }, () => post(local, '/api/edit', { op: 'set_param', population: 'nope', param: 'tau_m', value: 1 })),
      )
    ).map((r) => r.status);
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

/** Sends raw bytes on a TCP socket; resolves with what came back once the server closed it (or after `ms`). */
function raw(port: number, text: string, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const s = connect(port, '127.0.0.1', () => s.write(text));
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, ms);
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('close', done);
    s.on('error', done);
  });
}

const upgrade = (target: string, port: number) =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

// A project of its own: a circuit next to node_modules with one Flux package, and files outside it.
const project = tempDir('flux-dashboard-hostile-');
const PCIRCUIT = join(project, 'circuit.yaml');
writeFileSync(
  PCIRCUIT,
  readFileSync(libraryCircuit('braitenberg/braitenberg'), 'utf8').replace('$schema: ../../schema/circuit.schema.json', ''),
);
const PBRIDGE = join(project, 'bridge.yaml');
writeFileSync(PBRIDGE, readFileSync(example('bridges/braitenberg.yaml'), 'utf8').replace(/^circuit: .*$/m, 'circuit: ./circuit.yaml'));
const PKG = join(project, 'node_modules', 'flux-fake');
mkdirSync(PKG, { recursive: true });
writeFileSync(
  join(PKG, 'package.json'),
  JSON.stringify({ name: 'flux-fake', version: '1.2.0', flux: { circuits: { small: 'small.yaml', huge: 'huge.yaml' } } }),
);
writeFileSync(
  join(PKG, 'small.yaml'),
  'name: small\npopulations:\n  a: { model: lif, size: 4 }\n  b: { model: lif, size: 4 }\nprojections:\n  ab: { source: a, target: b, connectivity: { type: all_to_all }, weight: 1 nS, synapse: { type: conductance, receptor: excitatory } }\n',
);
writeFileSync(join(PKG, 'huge.yaml'), 'name: huge\npopulations:\n  big: { model: lif, size: 5000000 }\n');
const outside = tempDir('flux-outside-');
writeFileSync(join(outside, 'secret.yaml'), 'secret_key_xyz: 1\nother_secret_abc: { nested: 2 }\n');
writeFileSync(join(outside, 'mod.yaml'), 'name: intruder\npopulations:\n  intruder: { model: lif, size: 3 }\n');
const VICTIM = join(outside, 'victim.txt');
writeFileSync(VICTIM, 'precious\n');

describe('hostile requests (issue 16)', () => {
  let pnode: FluxNode;
  let dash: Dashboard;
  const api = (path: string, body: unknown) => post(dash, path, body);
  const names = () => pnode.engine.circuit.populations.map((p) => p.name);

  beforeAll(async () => {
    pnode = await FluxNode.start({ bridge: PBRIDGE, transport: 'memory', backend: 'cpu', threads: 1, log: () => undefined });
    // These tests send many edits in a row; the rate limit (20 per second) has its own test.
    // Rebuilds are not spaced here (D10 checks the spacing on a dashboard of its own).
    dash = await startDashboard({ node: pnode, port: 0, limits: { editsPerSecond: 1000, rebuildIntervalMs: 0 } });
  });
  afterAll(async () => {
    await dash?.close();
    await pnode?.shutdown();
  });

  it('D1: an upgrade or a request whose target is not a URL gets an HTTP error, and the server goes on', async () => {
    const targets = ['//', '//a:b/ws', 'http://[/ws', '/\\', '/\\\\', '//evil.example/ws', 'http://x/ws', '*', '/ws?token=%', '/%zz'];
    for (const t of targets) {
      const answer = await raw(dash.port, upgrade(t, dash.port));
      expect(answer === '' || /^HTTP\/1\.1 4\d\d /.test(answer), `${t}: ${answer}`).toBe(true);
      expect(answer).not.toMatch(/^HTTP\/1\.1 101/);
      const plain = await raw(dash.port, `GET ${t} HTTP/1.1\r\nHost: 127.0.0.1:${dash.port}\r\nConnection: close\r\n\r\n`);
      expect(plain === '' || /^HTTP\/1\.1 4\d\d /.test(plain), `${t}: ${plain}`).toBe(true);
    }
    expect((await http(dash.port, '/api/circuit', { headers: { 'X-Flux-Token': dash.token! } })).status).toBe(200);
    expect((await ws(dash.port, `?token=${dash.token}`)).open).toBe(true);
  });

  it('D4: /api/insert takes only what /api/packages lists, never a path, and tells nothing about files', async () => {
    const listed = JSON.parse((await http(dash.port, '/api/packages', { headers: { 'X-Flux-Token': dash.token! } })).body) as {
      module: string;
    }[];
    expect(listed.map((c) => c.module)).toEqual(['flux-fake/huge', 'flux-fake/small']);
    const before = readFileSync(PCIRCUIT, 'utf8');
    const errors: string[] = [];
    for (const module of [
      join(outside, 'secret.yaml'),
      join(outside, 'missing.yaml'),
      join(outside, 'mod.yaml'),
      '/etc/shadow',
      '/etc/passwd',
      '../' + join('..', outside, 'mod.yaml'),
      './node_modules/flux-fake/small.yaml',
      'file:///etc/passwd',
    ]) {
      const r = await api('/api/insert', { module, prefix: 'x' });
      expect(r.status, r.body).toBe(400);
      expect(r.body).not.toMatch(/secret_key_xyz|other_secret_abc|root:|ENOENT|no such file|does not exist|not found/i);
      errors.push(JSON.parse(r.body).error.replace(JSON.stringify(module), '<module>'));
    }
    // The same answer whether the file exists or not.
    expect(new Set(errors).size).toBe(1);
    // Split into package and circuit, the circuit may not walk out of the package either.
    expect((await api('/api/insert', { package: 'flux-fake', circuit: '../../../outside/mod', prefix: 'x' })).status).toBe(400);
    expect(readFileSync(PCIRCUIT, 'utf8')).toBe(before);
    expect(names().some((n) => n.startsWith('x.'))).toBe(false);
  });

  it('D4/D3: an insert beyond the budget is refused before anything is built or written', async () => {
    const before = readFileSync(PCIRCUIT, 'utf8');
    const engine = pnode.engine;
    const r = await api('/api/insert', { module: 'flux-fake/huge', prefix: 'h' });
    expect(r.status, r.body).toBe(400);
    expect(JSON.parse(r.body).error).toMatch(/5000000 neurons|5,000,000 neurons/);
    expect(readFileSync(PCIRCUIT, 'utf8')).toBe(before);
    expect(pnode.engine).toBe(engine); // no rebuild was even tried
  });

  it('D4: the file is written only after the new circuit was built (a failed build leaves it as it was)', async () => {
    const before = readFileSync(PCIRCUIT, 'utf8');
    const during: string[] = [];
    const fake: RunningNode = {
      get engine() {
        return pnode.engine;
      },
      get bridge() {
        return pnode.bridge;
      },
      loaded: pnode.loaded,
      reloadCircuit: async () => {
        during.push(readFileSync(PCIRCUIT, 'utf8'));
        throw new Error('out of memory');
      },
      reloadCircuitFrom: async (text: string) => {
        during.push(readFileSync(PCIRCUIT, 'utf8'));
        expect(text).toMatch(/module: "?flux-fake\/small"?/);
        throw new Error('out of memory');
      },
    };
    await expect(new EditSession(fake).insertModule('flux-fake/small', 't')).rejects.toThrow(
      /did not start, the file is as it was: out of memory/,
    );
    expect(during).toEqual([before]);
    expect(readFileSync(PCIRCUIT, 'utf8')).toBe(before);
    // Through the real node: accepted, written, running.
    const ok = await api('/api/insert', { module: 'flux-fake/small', prefix: 's', version: '^1.0.0' });
    expect(ok.status, ok.body).toBe(200);
    expect(readFileSync(PCIRCUIT, 'utf8')).toMatch(/module: "?flux-fake\/small"?, prefix: s/);
    expect(names()).toContain('s.a');
  });

  it('D6: a parameter named after an inherited property is refused; undo and save keep working', async () => {
    for (const param of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const r = await api('/api/edit', { op: 'set_param', population: 'brake', param, value: 1 });
      expect(r.status, `${param}: ${r.body}`).toBe(400);
    }
    for (const population of ['constructor', '__proto__', 'toString'])
      expect((await api('/api/edit', { op: 'set_param', population, param: 'tau_m', value: '5 ms' })).status).toBe(400);
    // A JSON body with an own "__proto__" key is data, not a prototype.
    const proto = await http(dash.port, '/api/edit', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Flux-Token': dash.token! },
      body: '{"op":"set_param","population":"brake","param":"__proto__","value":{"polluted":1}}',
    });
    expect(proto.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await api('/api/undo', {})).status).toBe(409); // nothing was recorded
    expect(typeof pnode.engine.flat.doc.populations!.brake.params).not.toBe('function');
    expect((await api('/api/edit', { op: 'set_param', population: 'brake', param: 'tau_m', value: '11 ms' })).status).toBe(200);
    expect((await api('/api/undo', {})).status).toBe(200);
    expect((await api('/api/save', {})).status).toBe(200);
  });

  it('D9: save never follows a link planted at a temporary name next to the circuit file', async () => {
    // The name the old save used, predictable from the process id.
    const planted = join(project, `.circuit.yaml.${process.pid}.tmp`);
    symlinkSync(VICTIM, planted);
    expect((await api('/api/edit', { op: 'set_param', population: 'brake', param: 'tau_m', value: '12 ms' })).status).toBe(200);
    const saved = await api('/api/save', {});
    expect(saved.status, saved.body).toBe(200);
    expect(readFileSync(VICTIM, 'utf8')).toBe('precious\n');
    expect(lstatSync(planted).isSymbolicLink()).toBe(true);
    expect(lstatSync(PCIRCUIT).isSymbolicLink()).toBe(false);
    expect(readFileSync(PCIRCUIT, 'utf8')).toMatch(/tau_m: 12 ms/);
    expect(readdirSync(project).filter((f) => f.endsWith('.tmp'))).toEqual([`.circuit.yaml.${process.pid}.tmp`]);
    // Whatever name comes up, one already there is never opened: another is tried, and a save that finds none writes nothing.
    expect((await api('/api/edit', { op: 'set_param', population: 'brake', param: 'tau_m', value: '13 ms' })).status).toBe(200);
    const plan = planSave(PCIRCUIT, pnode.engine.flat);
    expect(() => writePlan(plan, () => planted)).toThrow(SaveError);
    expect(readFileSync(VICTIM, 'utf8')).toBe('precious\n');
    expect(readFileSync(PCIRCUIT, 'utf8')).toMatch(/tau_m: 12 ms/);
    const names: string[] = [];
    writePlan(plan, (target) => (names.push(target), names.length === 1 ? planted : join(project, '.fresh.tmp')));
    expect(names).toHaveLength(2);
    expect(readFileSync(VICTIM, 'utf8')).toBe('precious\n');
    expect(readFileSync(PCIRCUIT, 'utf8')).toMatch(/tau_m: 13 ms/);
    expect(existsSync(join(project, '.fresh.tmp'))).toBe(false);
  });

  it('D3: live additions share one budget over the session, checked before anything is built', async () => {
    const s = new EditSession(pnode, { totalNeurons: 50, totalSynapses: 1000 });
    await s.apply({ op: 'add_population', name: 'p1', population: { model: 'lif', size: 30 } });
    const engineDoc = structuredClone(pnode.engine.flat.doc);
    const refused = s.apply({ op: 'add_population', name: 'p2', population: { model: 'lif', size: 30 } });
    await expect(refused).rejects.toBeInstanceOf(RefusedEdit);
    await expect(refused).rejects.toThrow(
      /add_population "p2" would add 30 neurons, more than is left of the dashboard's budget for live additions \(20 of 50 neurons per session/,
    );
    expect(pnode.engine.flat.doc).toEqual(engineDoc);
    // Removing gives nothing back: an add/remove loop would stall the loop again and again.
    await s.apply({ op: 'remove_population', name: 'p1' });
    await expect(s.apply({ op: 'add_population', name: 'p3', population: { model: 'lif', size: 21 } })).rejects.toThrow(
      /budget for live additions/,
    );
    // Undoing the removal adds again: counted too (30 > 20 left).
    await expect(s.undo()).rejects.toThrow(/undo of remove population p1 would add 30 neurons/);
    await s.apply({ op: 'add_population', name: 'p4', population: { model: 'lif', size: 20 } });
    await s.apply({
      op: 'add_projection',
      name: 'p4p4',
      projection: {
        source: 'p4',
        target: 'p4',
        connectivity: { type: 'all_to_all' },
        weight: '1 nS',
        synapse: { type: 'conductance', receptor: 'excitatory' },
      },
    });
    await expect(
      s.apply({
        op: 'add_projection',
        name: 'more',
        projection: {
          source: 'p4',
          target: 'p4',
          // (multapses: 40 from 20 sources is a valid rule; the checker runs before the budget)
          connectivity: { type: 'fixed_indegree', n: 40, multapses: true },
          weight: '1 nS',
          synapse: { type: 'conductance', receptor: 'excitatory' },
        },
      }),
    ).rejects.toThrow(/would add 800 synapses, more than is left .*\(600 of 1,000 synapses/);
    expect(s.budget.spent).toEqual({ neurons: 50, synapses: 400, bytes: 50 * 64 + 400 * 20 });
    const bytes = new EditSession(pnode, { totalBytes: 1000 });
    await expect(bytes.apply({ op: 'add_population', name: 'p5', population: { model: 'lif', size: 20 } })).rejects.toThrow(
      /1,280 bytes \(estimated\)/,
    );
    expect(names()).not.toContain('p5');
    expect(CircuitError).toBeDefined();
  });

  it('D11: setting an existing projection or population whole counts its growth against the budget, before anything is built', async () => {
    const s = new EditSession(pnode, { totalSynapses: 150, totalNeurons: 10 });
    const engine = pnode.engine;
    const doc = s.documentSection('projections')!.left_excites_left as Record<string, unknown>;
    // fixed_indegree 10 onto 20 targets is 200 synapses; all to all from 20 sources is 400: 200 more.
    await expect(s.setElement('projections', 'left_excites_left', { ...doc, connectivity: { type: 'all_to_all' } })).rejects.toThrow(
      /would add 200 synapses/,
    );
    const pop = s.documentSection('populations')!.motor_left as Record<string, unknown>;
    await expect(s.setElement('populations', 'motor_left', { ...pop, size: 40 })).rejects.toThrow(/would add 20 neurons/);
    expect(pnode.engine).toBe(engine);
    expect(s.budget.spent).toEqual({ neurons: 0, synapses: 0, bytes: 0 });
  });

  it('D10: the page rebuilds the engine at most once a second; a refused element costs no rebuild; no run control next to a robot', async () => {
    const drive = (target: string) => ({
      type: 'poisson',
      target,
      rate: '5 Hz',
      weight: '1 nS',
      synapse: { type: 'conductance', receptor: 'excitatory' },
    });
    const spaced = await startDashboard({ node: pnode, port: 0, limits: { editsPerSecond: 1000 } });
    const api = (path: string, body: unknown) => post(spaced, path, body);
    const bad = await api('/api/element', { section: 'sources', name: 'drive', value: drive('nowhere') });
    expect(bad.status, bad.body).toBe(400);
    const ok = await api('/api/element', { section: 'sources', name: 'drive', value: drive('brake') });
    expect(ok.status, ok.body).toBe(200);
    expect(pnode.engine.circuit.sources.map((x) => x.name)).toContain('drive');
    const again = await api('/api/element', { section: 'sources', name: 'drive', value: null });
    expect(again.status, again.body).toBe(429);
    expect(again.body).toMatch(/built again less than 1000 ms ago/);
    expect((await api('/api/run', { action: 'pause' })).status).toBe(409);
    await new Promise((r) => setTimeout(r, 1100));
    const removed = await api('/api/element', { section: 'sources', name: 'drive', value: null });
    expect(removed.status, removed.body).toBe(200);
    expect(pnode.engine.circuit.sources.map((x) => x.name)).not.toContain('drive');
    // Requests at once: one is admitted, the others get 429 (no queue of builds).
    await new Promise((r) => setTimeout(r, 1100));
    const burst = await Promise.all(
      ['d1', 'd2', 'd3'].map((name) => api('/api/element', { section: 'sources', name, value: drive('brake') })),
    );
    expect(burst.map((b) => b.status).sort()).toEqual([200, 429, 429]);
    // An insert is a rebuild too.
    expect((await api('/api/insert', { module: 'flux-fake/small', prefix: 'later' })).status).toBe(429);
    await spaced.close();
  });
});
