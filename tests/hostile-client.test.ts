// The hostile-client test of issue 16: the demo robot runs (`flux run` on the built-in simulated robot,
// paced at real time, its dashboard on loopback with the token the CLI prints) while a corpus of
// malformed and hostile requests hits the dashboard's port: the D1-D6 classes, slow clients (a header
// sent one byte per 100 ms, WebSockets that never read) and floods (hundreds of requests per second).
// The robot must keep ticking at its rate and its commands stay finite and within the output limits.
import { openSpaceScan } from './fixtures/scan.js';
import { describe, it, expect, afterAll } from 'vitest';
import { holdLock } from './fixtures/hold-lock.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { ROOT, example, tempDir, libraryCircuit } from './helpers.js';
import { attack } from './fixtures/hostile.js';
import { createCodec } from '../bridge/codec/cdr.js';
import { DdsTransport, ddsUnavailable } from '../bridge/transport/dds.js';
import { DEFAULT_QOS, SENSOR_QOS } from '../bridge/transport/transport.js';
import { ddsTestDomain, useCycloneUriInThisProcess } from './fixtures/dds-peers.js';
import { requires } from './requirements.js';

const noDds = ddsUnavailable();
const strict = process.env.CI === 'true';
if (noDds && !strict) requires('dds', noDds);

const dir = tempDir('flux-hostile-');
writeFileSync(
  join(dir, 'circuit.yaml'),
  readFileSync(libraryCircuit('braitenberg/braitenberg'), 'utf8').replace('$schema: ../../schema/circuit.schema.json', ''),
);
writeFileSync(
  join(dir, 'bridge.yaml'),
  readFileSync(example('bridges/braitenberg.yaml'), 'utf8').replace(/^circuit: .*$/m, 'circuit: ./circuit.yaml'),
);
const CIRCUIT_TEXT = readFileSync(join(dir, 'circuit.yaml'), 'utf8');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let child: ChildProcess | null = null;
const sockets: Socket[] = [];
const webSockets: WebSocket[] = [];

// Its tick rate is measured: no browser suite beside it (tests/fixtures/exclusive.ts).
holdLock();

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
    child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin', 'flux.js'),
        'run',
        join(dir, 'bridge.yaml'),
        '--sim',
        'default',
        '--paced',
        '1',
        '--backend',
        'cpu',
        '--threads',
        '1',
        '--status',
        '1',
        '--duration',
        '60s',
        '--plot',
        join(dir, 'trajectory.svg'),
        '--dashboard',
        '127.0.0.1:0',
      ],
      { cwd: dir },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    let exited: number | null = null;
    child.on('exit', (code) => (exited = code ?? -1));
    const m = await new Promise<RegExpExecArray>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no dashboard line in 20 s: ${out}`)), 20_000);
      const look = () => {
        const r = /flux: dashboard: http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+)/.exec(out);
        if (!r) return;
        clearTimeout(t);
        resolve(r);
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
          res.on('end', () =>
            res.statusCode === 200 ? resolve(JSON.parse(body) as Status) : reject(new Error(`status ${res.statusCode}: ${body}`)),
          );
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
    const tally = await attack(port, token, 9000, sockets, webSockets);
    const attackS = tally.attackS;
    await sleep(600);
    watching = false;
    await watcher;

    // ---- what the robot did -------------------------------------------------------------------
    expect(exited, out).toBeNull(); // the process is alive
    expect(tally.sent / attackS, JSON.stringify([...tally.byStatus])).toBeGreaterThan(100);
    expect(tally.byStatus.get(500) ?? 0).toBe(0);
    // Simulated time (lockstep with the ticks, paced at 1x) kept up with the wall clock.
    const first = samples[0];
    const last = samples.at(-1)!;
    const rtf = (last.s.timeMs - first.s.timeMs) / (last.wall - first.wall);
    expect(rtf, JSON.stringify(samples.map((x) => x.s.tick.perSecond))).toBeGreaterThan(0.6);
    // Never stuck: every half-second sample saw the simulation move on. (At least 10% of real time: the
    // attack's opening burst, with the other test worker busy on the same two cores, was measured at
    // 21% once, so 25% failed without the robot ever stalling; a stall moves 0.)
    for (let k = 1; k < samples.length; k++) {
      const dt = samples[k].wall - samples[k - 1].wall;
      const moved = samples[k].s.timeMs - samples[k - 1].s.timeMs;
      expect(moved, `sample ${k}: ${moved} ms simulated in ${dt.toFixed(0)} ms`).toBeGreaterThan(0.1 * dt);
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

  // The robot watches from outside: a DDS robot (this process) feeds /scan and timestamps every
  // /cmd_vel while the attack runs. No moving command may be held longer than the watchdog plus one
  // output period: the next command (moving or safe) always comes within that.
  it.runIf(!noDds || strict)(
    'a DDS robot watching /cmd_vel from outside never sees a moving command held longer than the watchdog during the attack',
    async () => {
      expect(noDds, 'the DDS addon is needed (.ci/run installs cyclonedds-dev)').toBeNull();
      const DOMAIN = ddsTestDomain('dds-hostile');
      useCycloneUriInThisProcess();
      const robot = DdsTransport.open({ domainId: DOMAIN, node: null });
      const twist = createCodec('geometry_msgs/msg/Twist');
      const cmds: { at: number; moving: boolean }[] = [];
      robot.subscribe('/cmd_vel', 'geometry_msgs/msg/Twist', DEFAULT_QOS, (b) => {
        const m = twist.decode(b) as { linear: { x: number }; angular: { z: number } };
        cmds.push({ at: performance.now(), moving: m.linear.x !== 0 || m.angular.z !== 0 });
      });
      const scan = openSpaceScan();
      const pub = robot.advertise('/scan', 'sensor_msgs/msg/LaserScan', SENSOR_QOS);
      const feed = setInterval(() => pub.publish(scan), 20);
      const proc = spawn(
        process.execPath,
        [
          join(ROOT, 'bin', 'flux.js'),
          'run',
          join(dir, 'bridge.yaml'),
          '--dds',
          '--backend',
          'cpu',
          '--threads',
          '1',
          '--status',
          '1',
          '--dashboard',
          '127.0.0.1:0',
        ],
        { cwd: dir, env: { ...process.env, ROS_DOMAIN_ID: String(DOMAIN) } },
      );
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const own: Socket[] = [];
      const ownWs: WebSocket[] = [];
      try {
        const deadline = performance.now() + 20_000;
        let m: RegExpExecArray | null = null;
        while (!(m = /flux: dashboard: http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+)/.exec(out)) && performance.now() < deadline)
          await sleep(50);
        expect(m, out).not.toBeNull();
        await sleep(1500);
        const from = performance.now();
        const tally = await attack(Number(m![1]), m![2], 6000, own, ownWs);
        const to = performance.now();
        // After the attack the robot drives on: what the attack did to the loop does not outlast it.
        const deadline2 = to + 2000;
        while (!cmds.some((c) => c.moving && c.at > to) && performance.now() < deadline2) await sleep(50);
        const resumed = cmds.find((c) => c.moving && c.at > to);
        await sleep(300);
        const during = cmds.filter((c) => c.at >= from && c.at <= to);
        console.log(
          out
            .split('\n')
            .filter((l) => /ticks|guard|stall/.test(l))
            .slice(-12)
            .join('\n'),
        );
        // Liveness: it drove during the attack, and drives again within 2 s of its end. How much it drove
        // during it depends on the machine: the attack runs on the robot's own two cores and grows its
        // circuit (accepted edits), and a loop that overruns publishes the safe command (from 5 to 87
        // moving commands in 6 s were seen here, with and without the other suites running).
        expect(during.filter((c) => c.moving).length, 'the robot drove during the attack').toBeGreaterThan(0);
        expect(resumed, 'the robot drives again after the attack').toBeDefined();
        let held = 0;
        for (let k = 0; k < cmds.length - 1; k++)
          if (cmds[k].moving && cmds[k].at >= from && cmds[k].at <= to) held = Math.max(held, cmds[k + 1].at - cmds[k].at);
        console.log(
          `hostile clients vs a DDS robot: ${tally.sent} requests in ${tally.attackS.toFixed(1)} s, ${during.length} commands (${during.filter((c) => !c.moving).length} safe); longest a moving command was held: ${held.toFixed(0)} ms`,
        );
        // The watchdog (50 ms) plus one output period (50 Hz), plus scheduling on a loaded two-core machine.
        expect(held).toBeLessThanOrEqual(50 + 20 + 30);
        expect(proc.exitCode, out).toBeNull();
      } finally {
        for (const sock of own) sock.destroy();
        for (const w of ownWs) w.terminate();
        clearInterval(feed);
        proc.kill('SIGKILL');
        await robot.close();
      }
    },
    60_000,
  );
});
