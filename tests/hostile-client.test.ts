// The hostile-client test of issue 16: the demo robot runs (`flux run` on the built-in simulated robot,
// paced at real time, its dashboard on loopback with the token the CLI prints) while a corpus of
// malformed and hostile requests hits the dashboard's port: the D1-D6 classes, slow clients (a header
// sent one byte per 100 ms, WebSockets that never read) and floods (hundreds of requests per second).
// The robot must keep ticking at its rate and its commands stay finite and within the output limits.
import { describe, it, expect, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { ROOT, example, tempDir, libraryCircuit } from './helpers.js';

const dir = tempDir('flux-hostile-');
writeFileSync(join(dir, 'circuit.yaml'), readFileSync(libraryCircuit('braitenberg/braitenberg'), 'utf8').replace('$schema: ../../schema/circuit.schema.json', ''));
writeFileSync(join(dir, 'bridge.yaml'), readFileSync(example('bridges/braitenberg.yaml'), 'utf8').replace(/^circuit: .*$/m, 'circuit: ./circuit.yaml'));
const CIRCUIT_TEXT = readFileSync(join(dir, 'circuit.yaml'), 'utf8');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let child: ChildProcess | null = null;
const sockets: Socket[] = [];
const webSockets: WebSocket[] = [];

afterAll(() => {
  for (const s of sockets) s.destroy();
  for (const w of webSockets) w.terminate();
  child?.kill('SIGKILL');
});

interface Status {
  step: number;
  timeMs: number;
  tick: { perSecond: number; hz: number };
  robot: { commanded: { linear: number; angular: number }; time: number };
}

describe('hostile clients against the running demo robot', () => {
  it('keeps ticking at its rate with bounded commands while malformed, hostile, slow and flooding clients hit its dashboard', async () => {
    child = spawn(process.execPath, [join(ROOT, 'bin', 'flux.js'), 'run', join(dir, 'bridge.yaml'), '--sim', 'default', '--paced', '1', '--backend', 'cpu', '--threads', '1', '--status', '1', '--duration', '60s', '--plot', join(dir, 'trajectory.svg'), '--dashboard', '127.0.0.1:0'], { cwd: dir });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    let exited: number | null = null;
    child.on('exit', (code) => (exited = code ?? -1));
    const m = await new Promise<RegExpExecArray>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no dashboard line in 20 s: ${out}`)), 20_000);
      const look = () => {
        const r = /flux: dashboard: http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+)/.exec(out);
        if (r) (clearTimeout(t), resolve(r));
      };
      child!.stdout!.on('data', look);
      look();
    });
    const port = Number(m[1]);
    const token = m[2];

    // The watcher: one kept-alive connection, opened before the attack, reading the status twice a second.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const status = () =>
      new Promise<Status>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/status', agent, headers: { 'X-Flux-Token': token } }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as Status) : reject(new Error(`status ${res.statusCode}: ${body}`))));
        });
        req.setTimeout(3000, () => req.destroy(new Error('the status request took over 3 s')));
        req.on('error', reject);
        req.end();
      });
    await sleep(1000);
    const samples: { wall: number; s: Status }[] = [{ wall: performance.now(), s: await status() }];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        await sleep(500);
        samples.push({ wall: performance.now(), s: await status() });
      }
    })();

    // ---- the attack ----------------------------------------------------------------------------
    const ATTACK_MS = 9000;
    const until = performance.now() + ATTACK_MS;
    const tally = { sent: 0, answered: 0, errors: 0, byStatus: new Map<number, number>() };
    const note = (code: number) => tally.byStatus.set(code, (tally.byStatus.get(code) ?? 0) + 1);
    /** One request on a fresh connection; resolves with its status (0: closed without one). */
    const hit = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve) => {
        tally.sent++;
        const req = request({ host: '127.0.0.1', port, path, method, agent: false, headers: { ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
          res.resume();
          res.on('end', () => (tally.answered++, note(res.statusCode ?? 0), resolve(res.statusCode ?? 0)));
        });
        req.setTimeout(5000, () => req.destroy());
        req.on('error', () => (tally.errors++, resolve(0)));
        req.end(body);
      });
    const rawSend = (text: string) =>
      new Promise<string>((resolve) => {
        let got = '';
        const s = connect(port, '127.0.0.1', () => s.end(text));
        s.on('data', (d: Buffer) => (got += d.toString('latin1')));
        s.on('close', () => resolve(got));
        s.on('error', () => resolve(got));
        setTimeout(() => (s.destroy(), resolve(got)), 3000);
      });
    const upgrade = (target: string) => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    const auth = { 'X-Flux-Token': token };
    const edit = (e: unknown) => hit('POST', '/api/edit', JSON.stringify(e), auth);

    // The corpus: each class of issue 16, sent over and over during the attack.
    const corpus: (() => Promise<unknown>)[] = [
      // D1: request targets that are not URLs, as upgrades and as plain requests.
      ...['//', '//a:b/ws', 'http://[/ws', '/\\', '//evil/ws'].map((t) => () => rawSend(upgrade(t))),
      () => rawSend(`GET // HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
      () => rawSend('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n'),
      // D2/D3/D5: edits that would loop, stall or poison the state.
      () => edit({ op: 'add_projection', name: 'tiny', projection: { source: 'motor_left', target: 'motor_right', connectivity: { type: 'fixed_probability', p: 1e-300 }, weight: '1 nS', synapse: { type: 'conductance', receptor: 'excitatory' } } }),
      () => edit({ op: 'add_population', name: 'huge', population: { model: 'lif', size: 1_000_000 } }),
      // Within the budget (taken once, then "already exists"); beyond it, refused before anything is built.
      () => edit({ op: 'add_population', name: 'extra', population: { model: 'lif', size: 2000 } }),
      () => edit({ op: 'add_population', name: 'extra2', population: { model: 'lif', size: 4000 } }),
      () => edit({ op: 'add_projection', name: 'dense', projection: { source: 'motor_left', target: 'motor_right', connectivity: { type: 'fixed_indegree', n: 1e9 }, weight: '1 nS', synapse: { type: 'conductance', receptor: 'excitatory' } } }),
      () => edit({ op: 'set_param', population: 'brake', param: 'tau_m', value: '1e400 ms' }),
      () => edit({ op: 'set_weights', projection: 'front_brakes', value: '3.5e38 nS' }),
      // D4: module inserts by path.
      () => hit('POST', '/api/insert', JSON.stringify({ module: '/etc/shadow', prefix: 'x' }), auth),
      () => hit('POST', '/api/insert', JSON.stringify({ module: '../../../../etc/passwd', prefix: 'x' }), auth),
      // D6: inherited names.
      () => edit({ op: 'set_param', population: 'brake', param: 'constructor', value: 1 }),
      () => edit({ op: 'set_param', population: '__proto__', param: 'toString', value: 1 }),
      () => hit('POST', '/api/edit', '{"__proto__":{"op":"remove_population"},"op":"set_param","population":"brake","param":"__proto__","value":1}', auth),
      // No token, a wrong token, another origin, an oversized body, not JSON.
      () => edit({ op: 'set_param', population: 'brake', param: 'tau_m', value: '5 ms' }).then(() => hit('POST', '/api/save', '{}')),
      () => hit('POST', '/api/save', '{}', { 'X-Flux-Token': 'wrong' }),
      () => hit('POST', '/api/edit', '{}', { ...auth, Origin: 'http://evil.example' }),
      () => hit('POST', '/api/edit', JSON.stringify({ op: 'add_population', name: 'big', population: { model: 'lif', size: 1, description: 'x'.repeat(200_000) } }), auth),
      () => hit('POST', '/api/edit', 'op=set_param', { ...auth, 'Content-Type': 'text/plain' }),
      () => hit('POST', '/api/undo', '{}', auth),
    ];

    // Slow clients: headers one byte per 100 ms, and WebSockets that never read.
    const slow = Array.from({ length: 20 }, () => {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      sockets.push(s);
      const text = `GET /api/status HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Flux-Token: ${token}\r\nX-Padding: ${'a'.repeat(400)}\r\n\r\n`;
      let i = 0;
      const timer = setInterval(() => {
        if (s.destroyed || i >= text.length) return clearInterval(timer);
        s.write(text[i++]);
      }, 100);
      return { s, timer };
    });
    for (let k = 0; k < 4; k++) {
      const w = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
      w.on('error', () => undefined);
      webSockets.push(w);
      w.on('open', () => (w as unknown as { _socket: { pause(): void } })._socket.pause());
    }

    // The flood and the corpus: 24 clients, each as fast as it gets answers (hundreds per second).
    const worker = async (k: number) => {
      let i = k;
      while (performance.now() < until) {
        const kind = i++ % 3;
        if (kind === 0) await corpus[i % corpus.length]();
        else if (kind === 1) await hit('GET', '/api/status', undefined, auth);
        else await hit('GET', `/api/circuit?${i}`, undefined, i % 2 ? auth : {});
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 24 }, (_, k) => worker(k)));
    const attackS = (performance.now() - t0) / 1000;
    await sleep(600);
    watching = false;
    await watcher;
    for (const { timer } of slow) clearInterval(timer);

    // ---- what the robot did -------------------------------------------------------------------
    expect(exited, out).toBeNull(); // the process is alive
    expect(tally.sent / attackS, JSON.stringify([...tally.byStatus])).toBeGreaterThan(100);
    expect(tally.byStatus.get(500) ?? 0).toBe(0);
    // Simulated time (lockstep with the ticks, paced at 1x) kept up with the wall clock.
    const first = samples[0];
    const last = samples.at(-1)!;
    const rtf = (last.s.timeMs - first.s.timeMs) / (last.wall - first.wall);
    expect(rtf, JSON.stringify(samples.map((x) => x.s.tick.perSecond))).toBeGreaterThan(0.6);
    // Never stuck: every half-second sample saw the simulation move on.
    for (let k = 1; k < samples.length; k++) {
      const dt = samples[k].wall - samples[k - 1].wall;
      const moved = samples[k].s.timeMs - samples[k - 1].s.timeMs;
      expect(moved, `sample ${k}: ${moved} ms simulated in ${dt.toFixed(0)} ms`).toBeGreaterThan(0.25 * dt);
    }
    // Commands finite and within the output limits of the bridge document.
    for (const { s } of samples) {
      expect(Number.isFinite(s.robot.commanded.linear) && Number.isFinite(s.robot.commanded.angular)).toBe(true);
      expect(s.robot.commanded.linear).toBeGreaterThanOrEqual(-0.05);
      expect(s.robot.commanded.linear).toBeLessThanOrEqual(0.35);
      expect(Math.abs(s.robot.commanded.angular)).toBeLessThanOrEqual(1.5);
    }
    // The status lines of the process itself: the tick rate held (1 kHz document, paced).
    const rates = [...out.matchAll(/ticks (\d+)\/s/g)].map((x) => Number(x[1]));
    expect(rates.length).toBeGreaterThanOrEqual(5);
    const during = rates.slice(-Math.floor(attackS) - 1, -1);
    expect(Math.min(...during), out.slice(-2000)).toBeGreaterThan(400);
    // Nothing hostile changed the circuit or its file (the only valid edit, tau_m 5 ms, needs no save to be harmless).
    expect(readFileSync(join(dir, 'circuit.yaml'), 'utf8').includes('constructor')).toBe(false);
    expect(readFileSync(join(dir, 'circuit.yaml'), 'utf8').length).toBeGreaterThan(CIRCUIT_TEXT.length - 10);
    // And after it, the status still moves on.
    await sleep(700); // past the status cache (500 ms)
    const served = await status();
    expect(served.step).toBeGreaterThan(last.s.step);
    agent.destroy();
  }, 60_000);
});
