// Serial devices (drivers/serial) over real pseudo-terminal pairs made by socat (Debian `socat`); the
// framers on their own are unit-tested in drivers/serial/framing.test.ts. The test plays the device on
// the other end with a second SerialPort. Without socat the pty tests skip, except under CI=true where they fail.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, unlinkSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { firstValueFrom, filter, timeout } from 'rxjs';
import {
  LineDeframer,
  BinaryFrameDeframer,
  SlipDeframer,
  CobsDeframer,
  encodeLine,
  encodeBinaryFrame,
  encodeSlip,
  encodeCobs,
  type Deframer,
} from '../drivers/serial/framing.js';
import { SerialDevice, listSysfs, type SerialStatus } from '../drivers/serial/device.js';
import { compileInput, compileOutput, parsePath, FieldError } from '../drivers/serial/fields.js';
import { requires } from './requirements.js';
import { bytes, cat } from './fixtures/bytes.js';

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------------------
// Pseudo-terminal pairs

const haveSocat = spawnSync('socat', ['-V']).status === 0;
const CI = process.env.CI === 'true';
if (!haveSocat && !CI) requires('socat', 'socat not found');

interface Socat {
  proc: ChildProcess;
  ptys: string[];
  stop(): Promise<void>;
}

/** socat pty pair with stable symlinks; resolves once socat runs its transfer loop. */
async function startSocat(linkA: string, linkB: string): Promise<Socat> {
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${linkA}`, `pty,raw,echo=0,link=${linkB}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`socat did not start: ${err}`)), 5000);
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('starting data transfer loop')) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.on('exit', (code) => reject(new Error(`socat exited ${code}: ${err}`)));
  });
  const ptys = [...err.matchAll(/PTY is (\S+)/g)].map((m) => m[1]);
  return {
    proc,
    ptys,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

async function openPeer(path: string): Promise<SerialPort & { received: Buffer[] }> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false }) as SerialPort & { received: Buffer[] };
  port.received = [];
  port.on('data', (d: Buffer) => port.received.push(d));
  port.on('error', () => {});
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  return port;
}

const closePeer = (p: SerialPort) => new Promise<void>((r) => (p.isOpen ? p.close(() => r()) : r()));
const peerWrite = (p: SerialPort, data: Uint8Array) =>
  new Promise<void>((r, j) => p.write(Buffer.from(data), (e) => (e ? j(e) : p.drain(() => r()))));
const waitStatus = (d: SerialDevice, s: SerialStatus, ms = 5000) =>
  firstValueFrom(
    d.status$.pipe(
      filter((x) => x === s),
      timeout(ms),
    ),
  );
async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('serial field paths never reach a prototype (D11)', () => {
  const json = { kind: 'json' as const };
  afterEach(() => {
    // Whatever a test did, the next one starts clean (a polluted prototype would leak into every test).
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it('a JSON output path __proto__.polluted is refused when the device is declared, and pollutes nothing', () => {
    let built: unknown;
    try {
      built = compileOutput({ json: { x: '__proto__.polluted' } }, json).build({ x: 1 });
    } catch (e) {
      expect(e).toBeInstanceOf(FieldError);
      expect((e as Error).message).toMatch(/output field "x": JSON path "__proto__.polluted": "__proto__" is not allowed/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(built).toBeUndefined();
    for (const p of ['constructor.prototype.polluted', 'a.prototype', 'a[0].constructor'])
      expect(() => compileOutput({ json: { x: p } }, json), p).toThrow(/is not allowed/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('field names that are prototype names are refused (inputs, outputs, templates, layouts)', () => {
    expect(() => compileOutput({ json: { __proto__: 'a' } }, json)).not.toThrow(); // a literal __proto__ sets the prototype: no own key
    expect(() => compileOutput({ json: JSON.parse('{"__proto__": "a"}') }, json)).toThrow(
      /output field "__proto__": not allowed as a field name/,
    );
    expect(() => compileOutput({ template: 'M {constructor}' }, { kind: 'lines' })).toThrow(/output field "constructor": not allowed/);
    expect(() =>
      compileOutput({ layout: { length: 1, fields: [{ name: 'prototype', offset: 0, type: 'u8' }] } }, { kind: 'slip' }),
    ).toThrow(/output field "prototype": not allowed/);
    expect(() => compileInput({ name: 'constructor', path: 'a' }, json)).toThrow(/input field "constructor": not allowed/);
    expect(() => compileInput({ name: 'x', path: '__proto__' }, json)).toThrow(/input field "x": JSON path "__proto__"/);
  });

  it('a JSON input path reads own properties only: an inherited value is not in the frame', () => {
    const read = compileInput({ name: 'x', path: 'a.length' }, json);
    expect(read({ a: { length: 3 } })).toBe(3);
    // "length" of a string or a function is not a field the device sent.
    expect(read({ a: 'abc' })).toBeUndefined();
    expect(read({ a: Object.create({ length: 7 }) })).toBeUndefined();
    expect(compileInput({ name: 'x', path: 'v[1]' }, json)([{}, {}])).toBeUndefined();
    expect(compileInput({ name: 'x', path: 'v[1]' }, json)({ v: [1, 2] })).toBe(2);
  });

  it('two output paths where one is inside the other are refused (one would overwrite or lose the other)', () => {
    expect(() => compileOutput({ json: { a: 'm.x', b: 'm.x.y' } }, json)).toThrow(
      /output fields "a" and "b": JSON paths m.x and m.x.y overlap/,
    );
    expect(() => compileOutput({ json: { a: 'm.x', b: 'm.x' } }, json)).toThrow(/overlap/);
    const out = compileOutput({ json: { a: 'm.x', b: 'm.y', c: 'n[0]' } }, json);
    expect(JSON.stringify(out.build({ a: 1, b: 2, c: 3 }))).toBe('{"m":{"x":1,"y":2},"n":{"0":3}}');
  });

  it('parsePath refuses prototype names at every position', () => {
    for (const p of ['__proto__', 'a.__proto__', 'constructor', 'a.b.prototype', '[0].constructor'])
      expect(() => parsePath(p), p).toThrow(FieldError);
    expect(parsePath('a.b[2].c')).toEqual(['a', 'b', 2, 'c']);
  });
});

describe.skipIf(haveSocat || !CI)('serial devices (socat missing)', () => {
  it('socat is required under CI=true', () => {
    expect.fail('socat not found: install the Debian package `socat` (.ci/run does)');
  });
});

describe.skipIf(!haveSocat)('serial devices over socat pseudo-terminals', () => {
  let dir: string;
  const cleanups: (() => Promise<void> | void)[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flux-serial-'));
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let n = 0;
  async function pair() {
    const a = join(dir, `dev${n}`);
    const b = join(dir, `peer${n++}`);
    const socat = await startSocat(a, b);
    cleanups.push(() => socat.stop());
    const peer = await openPeer(b);
    cleanups.push(() => closePeer(peer));
    return { a, b, socat, peer };
  }
  function device(cfg: ConstructorParameters<typeof SerialDevice>[0]) {
    const d = new SerialDevice(cfg);
    cleanups.push(() => d.stop());
    return d;
  }

  it("a frame held back by the rate limit across a freeze of this thread is dropped, not sent after the guard's safe frame (issue 16)", async () => {
    const { a, peer } = await pair();
    const dev = device({
      path: a,
      baudRate: 115200,
      framing: { kind: 'lines' },
      output: { template: 'M {v}', maxRateHz: 10, safe: { v: 0 } },
    });
    await dev.start();
    let text = '';
    peer.on('data', (d: Buffer) => (text += d.toString()));
    dev.write({ v: 1 });
    await until(() => text.includes('M 1'), 2000, 'the first frame');
    // The second waits up to 100 ms for the rate limit; this thread freezes for 400 ms meanwhile.
    dev.write({ v: 2 });
    const end = performance.now() + 400;
    while (performance.now() < end);
    await sleep(300);
    expect(text).not.toContain('M 2');
    expect(dev.counters.droppedWrites).toBe(1);
    // A fresh write goes out as usual.
    dev.write({ v: 3 });
    await until(() => text.includes('M 3'), 2000, 'a fresh frame');
  });

  it('socat reports two ptys and the links lead to them', async () => {
    const { a, b, socat } = await pair();
    expect(socat.ptys).toHaveLength(2);
    expect(socat.ptys.every((p) => p.startsWith('/dev/pts/'))).toBe(true);
    expect(existsSync(a) && existsSync(b)).toBe(true);
  });

  it('text fields (regex, key=value, CSV column) from split chunks with garbage; round trip latency', async () => {
    const { a, peer } = await pair();
    const dev = device({
      path: a,
      baudRate: 115200,
      framing: { kind: 'lines', maxLength: 64 },
      inputs: [
        { name: 'range', regex: 'R:(-?[\\d.]+)' },
        { name: 'bump', key: 'bump' },
        { name: 'c2', column: 2, scale: 0.5 },
      ],
      output: { template: 'M {left} {right}', maxRateHz: 1000 },
    });
    await dev.start();
    expect(dev.status).toBe('connected');
    const seen: number[] = [];
    dev.field('range').subscribe((v) => seen.push(v));
    const data = enc.encode(`R:1.5 bump=1\n${'#'.repeat(100)}\n1,2,8\nR:-2 bump=0\n\xff\n`);
    for (let i = 0; i < data.length; i += 7) {
      await peerWrite(peer, data.subarray(i, i + 7));
      await sleep(1);
    }
    await until(() => dev.counters.frames === 4, 3000, 'four lines'); // the last one carries no field
    expect(seen).toEqual([1.5, -2]);
    expect(dev.latest).toEqual({ range: -2, bump: 0, c2: 4 });
    const c = dev.counters;
    expect(c.frames).toBe(4); // the \xff line decodes (as U+00FF) but carries no field
    expect(c.unmatched).toBe(1);
    expect(c.garbled).toBe(1); // the overlong line

    // Round trip: device writes a command, the peer answers with a reading, the device sees it.
    const trips: number[] = [];
    const cmds = new LineDeframer();
    peer.on('data', (d: Buffer) => {
      for (const line of cmds.push(d)) {
        const m = /^M (\d+) /.exec(line);
        if (m) peer.write(`R:${m[1]}\n`);
      }
    });
    for (let i = 1; i <= 50; i++) {
      const t0 = performance.now();
      dev.write({ left: i + 100, right: 0 });
      await until(() => dev.latest.range === i + 100, 2000, `reply ${i}`);
      trips.push(performance.now() - t0);
    }
    trips.sort((x, y) => x - y);
    console.log(
      `serial pty round trip (device -> socat -> peer -> device), 50 trips: median ${trips[25].toFixed(2)} ms, max ${trips[49].toFixed(2)} ms`,
    );
    expect(trips[25]).toBeLessThan(50);
  });

  it('JSON lines fields by dotted path; JSON output object', async () => {
    const { a, peer } = await pair();
    const dev = device({
      path: a,
      baudRate: 115200,
      framing: { kind: 'json' },
      inputs: [
        { name: 'yaw', path: 'imu.euler[2]' },
        { name: 'ok', path: 'status.ok' },
      ],
      output: { json: { left: 'cmd.l', right: 'cmd.r' }, maxRateHz: 100, safe: { left: 0, right: 0 } },
    });
    await dev.start();
    await peerWrite(
      peer,
      enc.encode('{"imu":{"euler":[0,0,1.25]},"status":{"ok":true}}\n{"imu": oops}\n[1]\n{"imu":{"euler":[0,0,-0.5]}}\n'),
    );
    await until(() => dev.latest.yaw === -0.5, 3000, 'yaw');
    expect(dev.latest).toEqual({ yaw: -0.5, ok: 1 });
    expect(dev.counters).toMatchObject({ frames: 3, garbled: 1, unmatched: 1 });
    dev.write({ left: 0.25, right: -1 });
    await until(() => Buffer.concat(peer.received).includes('\n'), 3000, 'json frame');
    expect(JSON.parse(Buffer.concat(peer.received).toString())).toEqual({ cmd: { l: 0.25, r: -1 } });
  });

  for (const kind of ['binary', 'slip', 'cobs'] as const) {
    it(`${kind} frames: fields by offset and type, junk counted, output layout`, async () => {
      const { a, peer } = await pair();
      const framing = kind === 'binary' ? { kind, length: 7, sync: 0xaa } : { kind };
      const dev = device({
        path: a,
        baudRate: 115200,
        framing,
        inputs: [
          { name: 'enc', offset: 0, type: 'i16le' },
          { name: 'temp', offset: 2, type: 'f32le' },
          { name: 'sw', offset: 6, type: 'u8' },
        ],
        output: {
          layout: {
            length: 7,
            fields: [
              { name: 'pwm', offset: 0, type: 'i16le' },
              { name: 'gain', offset: 2, type: 'f32le' },
              { name: 'led', offset: 6, type: 'u8' },
            ],
          },
          maxRateHz: 200,
        },
      });
      await dev.start();
      const payload = (e: number, t: number, s: number) => {
        const b = new Uint8Array(7);
        const v = new DataView(b.buffer);
        v.setInt16(0, e, true);
        v.setFloat32(2, t, true);
        v.setUint8(6, s);
        return b;
      };
      const frame = (p: Uint8Array) =>
        kind === 'binary' ? encodeBinaryFrame(p, { length: 7, sync: 0xaa }) : kind === 'slip' ? encodeSlip(p) : encodeCobs(p);
      const junk = kind === 'slip' ? bytes(0xc0, 1, 0xdb, 2, 0xc0) : kind === 'cobs' ? bytes(9, 1, 0) : bytes(0x55, 0x66);
      const stream = cat(junk, frame(payload(-300, 21.5, 1)), junk, frame(payload(1234, -3.25, 0)));
      for (let i = 0; i < stream.length; i += 3) await peerWrite(peer, stream.subarray(i, i + 3));
      await until(() => dev.latest.enc === 1234, 3000, 'enc');
      expect(dev.latest).toEqual({ enc: 1234, temp: -3.25, sw: 0 });
      expect(dev.counters.frames).toBe(2);
      expect(dev.counters.garbled).toBe(2);
      dev.write({ pwm: 40000, gain: 1.5, led: 7 }); // pwm saturates at 32767
      const d: Deframer<Uint8Array> =
        kind === 'binary' ? new BinaryFrameDeframer({ length: 7, sync: 0xaa }) : kind === 'slip' ? new SlipDeframer() : new CobsDeframer();
      const got: Uint8Array[] = [];
      await until(
        () => {
          for (const c of peer.received.splice(0)) got.push(...d.push(c));
          return got.length > 0;
        },
        3000,
        'output frame',
      );
      expect(got[0]).toEqual(payload(32767, 1.5, 7));
    });
  }

  it('a flooding device: latest value only, every frame counted, no backlog', async () => {
    const { a, peer } = await pair();
    const dev = device({ path: a, baudRate: 115200, framing: { kind: 'lines' }, inputs: [{ name: 'v', key: 'v' }] });
    await dev.start();
    let emitted = 0;
    dev.field('v').subscribe(() => emitted++);
    const N = 20000;
    const lines = Array.from({ length: N }, (_, i) => `v=${i}\n`).join('');
    const t0 = performance.now();
    await peerWrite(peer, enc.encode(lines));
    await until(() => dev.latest.v === N - 1, 10000, 'last value');
    const ms = performance.now() - t0;
    console.log(`serial flood: ${N} lines (${lines.length} bytes) through a pty in ${ms.toFixed(0)} ms`);
    expect(dev.counters.frames).toBe(N);
    expect(emitted).toBe(N);
    // A late subscriber gets only the latest value.
    const late: number[] = [];
    dev
      .field('v')
      .subscribe((v) => late.push(v))
      .unsubscribe();
    expect(late).toEqual([N - 1]);
  });

  it('writes: at most maxRateHz, newest value wins, bounded queue while the reader stalls', async () => {
    const { a, peer } = await pair();
    const dev = device({
      path: a,
      baudRate: 115200,
      framing: { kind: 'lines' },
      output: { template: 'S {seq} ' + 'x'.repeat(200), maxRateHz: 50, safe: { seq: -1 } },
    });
    await dev.start();
    // Rate: 200 writes over ~400 ms at 50 Hz -> about 20 frames, the last one carries the last value.
    for (let i = 0; i < 200; i++) {
      dev.write({ seq: i });
      await sleep(2);
    }
    await sleep(100);
    const lines = new LineDeframer({ maxLength: 512 });
    const got = peer.received
      .splice(0)
      .flatMap((c) => lines.push(c))
      .map((l) => Number(l.split(' ')[1]));
    expect(got.length).toBeGreaterThanOrEqual(8);
    expect(got.length).toBeLessThanOrEqual(30);
    expect(got[got.length - 1]).toBe(199);
    expect(dev.counters.coalesced).toBeGreaterThan(100);

    // Stall: the peer stops reading, the pty and stream buffers fill, the device's write stays in flight.
    await dev.stop();
    peer.received.length = 0;
    peer.pause();
    const fast = device({
      path: a,
      baudRate: 115200,
      framing: { kind: 'lines' },
      output: { template: 'F {seq} ' + 'y'.repeat(1000), maxRateHz: 100000 },
    });
    await fast.start();
    let maxQueued = 0;
    const frameLen = encodeLine('F 0000 ' + 'y'.repeat(1000)).length;
    for (let i = 0; i < 3000; i++) {
      fast.write({ seq: i });
      maxQueued = Math.max(maxQueued, fast.queuedBytes);
      if (i % 20 === 0) await sleep(1);
    }
    const c = fast.counters;
    console.log(
      `serial stall: ${c.written} frames accepted before the buffers filled, ${c.droppedWrites} replaced, max queued ${maxQueued} bytes (frame ${frameLen})`,
    );
    expect(c.droppedWrites).toBeGreaterThan(1000);
    expect(maxQueued).toBeLessThanOrEqual(2 * frameLen);
    // The reader comes back: the backlog drains and the last frame is the newest value.
    peer.resume();
    const rl = new LineDeframer({ maxLength: 2048 });
    let last = -1;
    await until(
      () => {
        for (const ch of peer.received.splice(0)) for (const l of rl.push(ch)) last = Number(l.split(' ')[1]);
        return last === 2999;
      },
      8000,
      'newest frame after the stall',
    );
  });

  it('vendor/product lookup picks the listed port; sysfs listing works without udevadm', async () => {
    const { a, peer } = await pair();
    const dev = device({
      vendorId: '0x2341',
      productId: '0043',
      baudRate: 115200,
      framing: { kind: 'lines' },
      inputs: [{ name: 'x', key: 'x' }],
      list: async () => [
        { path: '/dev/null-not-this', vendorId: '1a86', productId: '7523' },
        { path: a, vendorId: '2341', productId: '0043' },
      ],
    });
    await dev.start();
    expect(dev.path).toBe(a);
    await peerWrite(peer, enc.encode('x=5\n'));
    await until(() => dev.latest.x === 5, 3000, 'x');
    const listed = await listSysfs();
    expect(Array.isArray(listed)).toBe(true);
    // The default lister (SerialPort.list, which spawns udevadm; /sys/class/tty when that fails): an
    // absent id keeps the device retrying, and nothing crashes.
    const absent = device({ vendorId: 'fffe', baudRate: 9600, framing: { kind: 'lines' }, reconnect: { initialMs: 1000 } });
    await absent.start();
    expect(absent.status).toBe('reconnecting');
    expect(absent.lastError).toMatch(/no port with USB id fffe/);
  });

  it('path check: the link vanishes while the pty lives -> loss with the safe frame delivered; link back -> reconnect', async () => {
    const { a, peer, socat } = await pair();
    const dev = device({
      path: a,
      baudRate: 115200,
      framing: { kind: 'lines' },
      output: { template: 'M {l}', maxRateHz: 100, safe: { l: 0 } },
      reconnect: { initialMs: 20, maxMs: 100 },
      presenceMs: 50,
    });
    await dev.start();
    dev.write({ l: 3 });
    await until(() => Buffer.concat(peer.received).toString() === 'M 3\n', 3000, 'M 3');
    unlinkSync(a);
    await waitStatus(dev, 'disconnected', 2000);
    expect(dev.lastError).toMatch(/is gone/);
    await until(() => Buffer.concat(peer.received).toString() === 'M 3\nM 0\n', 2000, 'safe frame on loss');
    expect(dev.counters).toMatchObject({ losses: 1, safeAttempts: 1, safeWritten: 1 });
    symlinkSync(socat.ptys[0], a);
    await waitStatus(dev, 'connected', 2000);
    expect(dev.counters.reconnects).toBe(1);
  });

  it('port loss: disconnected, safe frame attempted, process alive; socat back on the same link: reconnects with backoff and resumes', async () => {
    const a = join(dir, 'lossA');
    const b = join(dir, 'lossB');
    let socat = await startSocat(a, b);
    let peer = await openPeer(b);
    const dev = device({
      path: a,
      baudRate: 115200,
      framing: { kind: 'lines' },
      inputs: [{ name: 'v', key: 'v' }],
      output: { template: 'M {l}', maxRateHz: 100, safe: { l: 0 } },
      reconnect: { initialMs: 20, factor: 2, maxMs: 200 },
      presenceMs: 50,
    });
    const statuses: [SerialStatus, number][] = [];
    dev.status$.subscribe((s) => statuses.push([s, performance.now()]));
    await dev.start();
    await peerWrite(peer, enc.encode('v=1\n'));
    await until(() => dev.latest.v === 1, 3000, 'v=1');
    dev.write({ l: 5 });
    await until(() => Buffer.concat(peer.received).toString() === 'M 5\n', 3000, 'M 5');

    const tKill = performance.now();
    await closePeer(peer);
    await socat.stop();
    await waitStatus(dev, 'reconnecting', 3000);
    const tLost = statuses.find(([s, t]) => s === 'disconnected' && t >= tKill)![1];
    console.log(`serial loss detected ${(tLost - tKill).toFixed(0)} ms after socat exited (reason: ${dev.lastError})`);
    expect(dev.counters.losses).toBe(1);
    expect(dev.counters.safeAttempts).toBe(1); // attempted; the hung-up pty cannot take it
    expect(dev.counters.safeWritten).toBe(0);
    dev.write({ l: 9 }); // while disconnected: dropped, counted, no throw
    expect(dev.counters.droppedWrites).toBeGreaterThanOrEqual(1);

    await sleep(1000); // down for a second: backoff 20, 40, 80, 160, 200, 200... -> about 8 tries, not 50
    const failures = dev.counters.openFailures;
    expect(failures).toBeGreaterThanOrEqual(4);
    expect(failures).toBeLessThanOrEqual(12);

    socat = await startSocat(a, b);
    cleanups.push(() => socat.stop());
    const tBack = performance.now();
    await waitStatus(dev, 'connected', 3000);
    const reconnectMs = performance.now() - tBack;
    console.log(
      `serial reconnect: ${reconnectMs.toFixed(0)} ms after socat came back (backoff cap 200 ms), ${failures} failed opens while down`,
    );
    // About 100 ms here unloaded; 2.1 s was seen once with the whole suite running on two cores. The
    // backoff's growth and cap are checked by the count of failed opens above, so this bound is loose.
    expect(reconnectMs).toBeLessThan(3000);
    expect(dev.counters.reconnects).toBe(1);

    peer = await openPeer(b);
    cleanups.push(() => closePeer(peer));
    await peerWrite(peer, enc.encode('v=2\n'));
    await until(() => dev.latest.v === 2, 3000, 'v=2 after reconnect');
    dev.write({ l: 7 });
    await until(() => Buffer.concat(peer.received).toString().includes('M 7\n'), 3000, 'M 7 after reconnect');

    // stop(): the safe frame reaches the device.
    await dev.stop();
    await until(() => Buffer.concat(peer.received).toString().endsWith('M 0\n'), 3000, 'safe frame on stop');
    expect(dev.status).toBe('stopped');
    expect(dev.counters).toMatchObject({ safeAttempts: 2, safeWritten: 1 });
    const seq = statuses.map(([s]) => s).filter((s, i, all) => i === 0 || s !== all[i - 1]);
    expect(seq).toEqual(['disconnected', 'connected', 'disconnected', 'reconnecting', 'connected', 'stopped']);
  });
});
