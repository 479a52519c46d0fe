// Flux in a browser tab (issue 21, items 2-4): `npm run build:web`'s folder (web/vite.config.ts),
// served by a plain static server on loopback and opened in headless Chromium. The Braitenberg bridge
// drives the simulated robot in the page (the engine on WebAssembly, MuJoCo's WebAssembly build, the
// bridge's in-process transport) and must drive as Node drives it: the same trajectory and the same
// spikes, to the last bit; circuits run on their own (from the page's documents, a package, a raw file
// URL or a local file) give Node's spike counts. Share links carry the documents in the URL fragment
// and reproduce a run in a fresh page; a link that does not decode, or documents that do not
// validate, run nothing.
import { chromiumSuitesRun } from '../tools/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from './helpers.js';
import { holdLock } from './fixtures/hold-lock.js';
import { requires } from './requirements.js';
import { CHROMIUM, buildWebPage, serveDir } from '../bench/browser-page.js';
import { ClosedLoop } from '../sim/loop.js';
import type { TickSpikes } from '../bridge/bridge.js';
import { decodeShareLink, encodeShareLink } from '../sharing/link.js';
import { shareLink } from '../cli/share.js';
import { createDeflateRaw } from 'node:zlib';
import { ISOLATION_HEADERS } from '../engine/platform/isolation.js';
import type { RunSummary } from '../web/robot-run.js';
import type { CircuitSummary } from '../web/circuit-run.js';
import { Engine } from '../engine/engine.js';
import { takeSpikes } from '../engine/recorder.js';
import { MAX_DEFAULT_WIRING_WORKERS } from '../engine/compile/wiring-pool.js';

const runBrowser = chromiumSuitesRun();
if (!runBrowser) requires('chromium', `${CHROMIUM} not found`);

const BRIDGE = 'examples/bridges/braitenberg.yaml';
const PAGE_BRIDGE = `/flux/${BRIDGE}`;

/** The same run in Node: one thread, as in the page. */
async function nodeRun(seconds: number, o: { bridgeText?: string; seed?: number } = {}): Promise<RunSummary> {
  const loop = await ClosedLoop.create({
    bridge: join(ROOT, BRIDGE),
    ...o,
    arena: 'default',
    backend: 'cpu',
    threads: 1,
    log: () => undefined,
  });
  const spikes: Record<string, number> = {};
  loop.node.bridge.setSpikeTap((t: TickSpikes) => {
    for (const [p, s] of t.populations) spikes[p] = (spikes[p] ?? 0) + s.steps.length;
  });
  try {
    await loop.runFor(seconds, { paced: false });
    return { ...loop.summary(), backend: loop.node.engine.backend.name, spikes };
  } finally {
    await loop.close();
  }
}

/** A circuit run in Node as the page runs it: one thread, every population's spikes counted. */
async function nodeCircuit(file: string, seconds: number): Promise<Record<string, number>> {
  const engine = await Engine.create(file, { backend: 'cpu', threads: 1, log: () => undefined });
  try {
    engine.backend.configureRecording({});
    await engine.step(Math.round((seconds * 1000) / engine.circuit.dt));
    const rec = engine.backend.recording();
    return Object.fromEntries(engine.circuit.populations.map((p) => [p.name, takeSpikes(rec, p.name).steps.length]));
  } finally {
    engine.dispose();
  }
}

describe.runIf(runBrowser)('Flux in a browser tab: the robot, circuits, share links', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serveDir>>;
  let browser: Browser;

  // Not beside the suites that measure the loop's timing: Chromium running a network takes a core
  // (tests/fixtures/exclusive.ts).
  holdLock();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flux-web-'));
    await buildWebPage(dir);
    server = await serveDir(dir);
    // WebGPU is behind a flag in Chromium on Linux: with it, the page may ask for the browser's adapter.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--enable-unsafe-webgpu'] });
  }, 660_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Opens the run page at `path` (query and fragment) in a fresh page and waits for the run's end. */
  async function open<S = RunSummary>(path: string) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url + 'run.html' + path);
    await page.waitForSelector('body[data-status="done"], body[data-status="error"]', { state: 'attached', timeout: 120_000 });
    const status = await page.evaluate(() => document.body.dataset.status);
    const summary = (await page.textContent('#summary')) ?? '';
    return {
      page,
      status,
      errors,
      problems: (await page.textContent('#errors')) ?? '',
      summary: summary ? (JSON.parse(summary) as S) : null,
    };
  }

  /** Opens a circuit run that must end well; its summary. */
  async function openCircuit(path: string): Promise<CircuitSummary> {
    const opened = await open<CircuitSummary>(path);
    expect(opened.errors).toEqual([]);
    expect(opened.problems).toBe('');
    expect(opened.status).toBe('done');
    await opened.page.close();
    return opened.summary!;
  }

  it('drives the robot for 30 s of simulated time without a collision, as Node does to the last bit', async () => {
    const { page, status, errors, summary } = await open('?seconds=30&fast');
    expect(errors).toEqual([]);
    // Its turns are scheduler.postTask tasks (the case without it is below).
    expect(await page.evaluate(() => typeof Reflect.get(Reflect.get(globalThis, 'scheduler') ?? {}, 'postTask'))).toBe('function');
    expect(status).toBe('done');
    expect(summary!.simSeconds).toBe(30);
    expect(summary!.collisions).toBe(0);
    expect(summary!.distance).toBeGreaterThan(3);
    // The robot's status is in the page for a person too.
    expect(await page.textContent('[data-key="collisions"]')).toBe('0');
    expect(await page.locator('#view svg circle').count()).toBeGreaterThan(0);
    expect(summary).toEqual(await nodeRun(30));
    await page.close();
  }, 150_000);

  it('runs the documents a share link carries, and its own share link reproduces the run in a fresh page', async () => {
    const original = readFileSync(join(ROOT, BRIDGE), 'utf8');
    // A braver robot: the front sensor sees obstacles only from 0.5 m.
    const edited = original.replace(
      'encoder: { current: { min: 0.8, max: 0.2, current_max: 1 } }',
      'encoder: { current: { min: 0.5, max: 0.2, current_max: 1 } }',
    );
    expect(edited).not.toBe(original);
    const fragment = await encodeShareLink({ document: PAGE_BRIDGE, arena: 'default', seed: 3, documents: { [PAGE_BRIDGE]: edited } });
    const first = await open(`?seconds=5&fast#${fragment}`);
    expect(first.errors).toEqual([]);
    expect(first.status).toBe('done');
    const node = await nodeRun(5, { bridgeText: edited, seed: 3 });
    expect(first.summary).toEqual(node);
    // The edit and the seed matter: the shipped document with its default seed drives otherwise.
    expect(node.spikes).not.toEqual((await nodeRun(5)).spikes);

    await first.page.click('#share');
    await first.page.waitForFunction(() => (document.getElementById('share-link') as HTMLInputElement).value !== '');
    const link = await first.page.inputValue('#share-link');
    expect(link.startsWith(server.url)).toBe(true);
    const shared = link.slice(link.indexOf('#'));
    // It carries every document the run read, not only the edited one: a page with other shipped documents runs it the same.
    const carried = await decodeShareLink(shared);
    expect(Object.keys(carried.documents).sort()).toEqual([
      '/flux/examples/arenas/default.yaml',
      PAGE_BRIDGE,
      '/flux/node_modules/@flux-library/braitenberg/braitenberg.yaml',
      '/flux/node_modules/@flux-library/braitenberg/package.json',
    ]);
    expect(carried.documents[PAGE_BRIDGE]).toBe(edited);
    expect(carried.seed).toBe(3);
    const again = await open(`?seconds=5&fast${shared}`);
    expect(again.status).toBe('done');
    expect(again.summary).toEqual(first.summary);
    await first.page.close();
    await again.page.close();
  }, 150_000);

  it('runs nothing from a link that does not decode, or from documents that do not validate, and says why', async () => {
    const cut = await open('?seconds=1&fast#flux=1.AAAA');
    expect(cut.status).toBe('error');
    expect(cut.problems).toContain('share link: its data does not inflate');
    expect(cut.summary).toBeNull();
    await cut.page.close();

    const broken = readFileSync(join(ROOT, BRIDGE), 'utf8').replace('tick: 1 kHz', 'tick: fast');
    const fragment = await encodeShareLink({ document: PAGE_BRIDGE, arena: 'default', documents: { [PAGE_BRIDGE]: broken } });
    const invalid = await open(`?seconds=1&fast#${fragment}`);
    expect(invalid.status).toBe('error');
    expect(invalid.problems).toContain(PAGE_BRIDGE);
    expect(invalid.problems).toContain('/tick');
    expect(invalid.summary).toBeNull();
    await invalid.page.close();
  }, 60_000);

  it('runs COBA (4000 neurons) at 15-25 Hz with the spike counts Node gives, and the Izhikevich patterns likewise', async () => {
    const coba = await openCircuit('?circuit=/flux/examples/coba.yaml&seconds=1&fast');
    expect(coba.simSeconds).toBe(1);
    for (const [population, hz] of Object.entries(coba.rates)) {
      expect(hz, population).toBeGreaterThan(15);
      expect(hz, population).toBeLessThan(25);
    }
    expect(coba.spikes).toEqual(await nodeCircuit(join(ROOT, 'examples/coba.yaml'), 1));
    const izh = await openCircuit('?circuit=/flux/examples/izhikevich-patterns.yaml&seconds=1&fast');
    expect(Object.keys(izh.spikes).sort()).toEqual(['CH', 'FS', 'IB', 'LTS', 'RS', 'RZ', 'TC']);
    expect(izh.spikes).toEqual(await nodeCircuit(join(ROOT, 'examples/izhikevich-patterns.yaml'), 1));
  }, 120_000);

  it('runs a package circuit, a raw file URL and a local file, each with the counts Node gives', async () => {
    // The half-centre oscillator: two populations that take turns, with no input.
    const cpg = await openCircuit('?circuit=@flux-library/cpg/half-centre&seconds=0.5&fast');
    expect(Object.keys(cpg.spikes).sort()).toEqual(['extensor', 'flexor']);
    expect(cpg.spikes.flexor).toBeGreaterThan(0);
    expect(cpg.spikes).toEqual(await nodeCircuit(join(ROOT, 'library/cpg/half-centre.yaml'), 0.5));

    const text = readFileSync(join(ROOT, 'examples/izhikevich-patterns.yaml'), 'utf8');
    const node = await nodeCircuit(join(ROOT, 'examples/izhikevich-patterns.yaml'), 0.5);
    writeFileSync(join(dir, 'raw-circuit.yaml'), text);
    const fromUrl = await openCircuit(`?circuit=${encodeURIComponent(server.url + 'raw-circuit.yaml')}&seconds=0.5&fast`);
    expect(fromUrl.spikes).toEqual(node);

    const page = await browser.newPage();
    await page.goto(server.url + 'run.html?circuit=/flux/examples/coba.yaml&seconds=0.05&fast');
    await page.waitForSelector('body[data-status="done"]', { state: 'attached', timeout: 60_000 });
    // The file runs through a share link: the page reloads with the document in its fragment.
    await Promise.all([
      page.waitForEvent('load'),
      page.setInputFiles('#open', { name: 'my circuit.yaml', mimeType: 'text/yaml', buffer: Buffer.from(text) }),
    ]);
    expect(page.url()).toMatch(/#flux=1\./);
    await page.waitForSelector('body[data-status="done"]', { state: 'attached', timeout: 60_000 });
    expect(await page.textContent('#errors')).toBe('');
    const local = JSON.parse((await page.textContent('#summary'))!) as CircuitSummary;
    expect(await page.textContent('#what')).toContain('/local/my_circuit.yaml');
    await page.close();
    // The query still asked for 0.05 s of COBA's: the local file ran for that long instead.
    expect(local.spikes).toEqual(await nodeCircuit(join(ROOT, 'examples/izhikevich-patterns.yaml'), 0.05));
  }, 120_000);

  it("runs COBA on the browser's WebGPU with &backend=webgpu, within 10% of the CPU's spikes; auto keeps the CPU on a software adapter", async (ctx) => {
    const probe = await browser.newPage();
    await probe.goto(server.url + 'run.html?circuit=/flux/examples/coba.yaml&seconds=0.01&fast');
    const adapter = await probe.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return gpu ? (await gpu.requestAdapter()) !== null : false;
    });
    await probe.close();
    if (!adapter) return ctx.skip('no WebGPU adapter in this Chromium');
    // SwiftShader runs about 250 steps a second here: a short run (the CPU case above checks the 15-25 Hz at 1 s).
    const seconds = 0.1;
    const gpu = await openCircuit(`?circuit=/flux/examples/coba.yaml&seconds=${seconds}&fast&backend=webgpu`);
    expect(gpu.backend).toBe('webgpu');
    const cpu = await openCircuit(`?circuit=/flux/examples/coba.yaml&seconds=${seconds}&fast`);
    // 'auto' takes no software adapter (Chromium's here is SwiftShader): the CPU runs it.
    expect(cpu.backend).toBe('cpu');
    const total = (r: Record<string, number>) => Object.values(r).reduce((a, n) => a + n, 0);
    // float32 on the GPU, float64 on the CPU: a chaotic network keeps its rate, not its spikes.
    expect(total(gpu.spikes)).toBeGreaterThan(0.9 * total(cpu.spikes));
    expect(total(gpu.spikes)).toBeLessThan(1.1 * total(cpu.spikes));
    expect(total(cpu.spikes)).toBeGreaterThan(2000);
    const wrong = await open('?circuit=/flux/examples/coba.yaml&seconds=0.01&fast&backend=gpu');
    expect(wrong.status).toBe('error');
    expect(wrong.problems).toContain('?backend=gpu: expected auto, cpu or webgpu');
    await wrong.page.close();
  }, 180_000);

  it('says what is wrong with a circuit it cannot find or fetch, and runs nothing', async () => {
    const missing = await open('?circuit=@flux-library/nothing/here&seconds=0.1&fast');
    expect(missing.status).toBe('error');
    expect(missing.problems).toContain('package "@flux-library/nothing" is not installed');
    await missing.page.close();
    const gone = await open(`?circuit=${encodeURIComponent(server.url + 'no-such.yaml')}&seconds=0.1&fast`);
    expect(gone.status).toBe('error');
    expect(gone.problems).toContain('no-such.yaml: 404');
    await gone.page.close();
  }, 60_000);

  it('runs the same under cross-origin isolation (the headers web/vite.config.ts names)', async () => {
    const isolated = await serveDir(dir, ISOLATION_HEADERS);
    try {
      const page = await browser.newPage();
      await page.goto(isolated.url + 'run.html?seconds=3&fast');
      await page.waitForSelector('body[data-status="done"], body[data-status="error"]', { state: 'attached', timeout: 60_000 });
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await page.textContent('#errors')).toBe('');
      const summary = JSON.parse((await page.textContent('#summary'))!) as RunSummary;
      expect(summary).toEqual(await nodeRun(3));
      await page.close();
    } finally {
      await isolated.close();
    }
  }, 60_000);

  it('runs the kernels on two threads and wires in workers when cross-origin isolated, with the spikes Node gives', async () => {
    const isolated = await serveDir(dir, ISOLATION_HEADERS);
    const openIsolated = async (path: string): Promise<CircuitSummary> => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(isolated.url + 'run.html' + path);
      await page.waitForSelector('body[data-status="done"], body[data-status="error"]', { state: 'attached', timeout: 120_000 });
      expect(errors).toEqual([]);
      expect(await page.textContent('#errors')).toBe('');
      const summary = JSON.parse((await page.textContent('#summary'))!) as CircuitSummary;
      await page.close();
      return summary;
    };
    try {
      // COBA's neuron updates split with a kernel thread (a Web Worker on the page's WebAssembly memory),
      // its generated neuron modules sent there: bit for bit the one thread's spikes.
      const coba = await openIsolated('?circuit=/flux/examples/coba.yaml&seconds=0.2&fast&threads=2');
      expect(coba.threads).toBe(2);
      expect(coba.spikes).toEqual(await nodeCircuit(join(ROOT, 'examples/coba.yaml'), 0.2));
      // A circuit of a million synapses and more is wired in workers, one per core, as in Node (COBA at
      // p = 0.08, its weights a quarter: 1.28M synapses). The same network for any number of workers.
      const dense = readFileSync(join(ROOT, 'examples/coba.yaml'), 'utf8')
        .replaceAll('p: 0.02', 'p: 0.08')
        .replace(/weight: 6 nS/g, 'weight: 1.5 nS')
        .replace(/weight: 67 nS/g, 'weight: 16.75 nS');
      writeFileSync(join(dir, 'dense-coba.yaml'), dense);
      const link = await encodeShareLink({ document: '/local/dense-coba.yaml', documents: { '/local/dense-coba.yaml': dense } });
      const wired = await openIsolated(`?seconds=0.1&fast#${link}`);
      const cores = await browser.newPage().then(async (p) => {
        const n = await p.evaluate(() => navigator.hardwareConcurrency);
        await p.close();
        return n;
      });
      expect(wired.wiringWorkers).toBe(Math.min(MAX_DEFAULT_WIRING_WORKERS, cores));
      const node = await nodeCircuit(join(dir, 'dense-coba.yaml'), 0.1);
      expect(Object.values(node).reduce((a, b) => a + b, 0)).toBeGreaterThan(200);
      expect(wired.spikes).toEqual(node);
    } finally {
      await isolated.close();
    }
    // Without the headers the page has no shared memory: one thread by default, and two are refused with the reason.
    const alone = await openCircuit('?circuit=/flux/examples/coba.yaml&seconds=0.05&fast');
    expect(alone).toMatchObject({ threads: 1, wiringWorkers: 0 });
    const two = await open('?circuit=/flux/examples/coba.yaml&seconds=0.05&fast&threads=2');
    expect(two.status).toBe('error');
    expect(two.problems).toContain('needs shared memory: serve the page cross-origin isolated');
    await two.page.close();
    const bad = await open('?circuit=/flux/examples/coba.yaml&seconds=0.05&fast&threads=4');
    expect(bad.problems).toContain('?threads=4: expected auto, 1 or 2');
    await bad.page.close();
  }, 180_000);

  it('refuses what a tab cannot reach or hold, and an address a link could not carry, before building anything', async () => {
    const refused = async (path: string, ...expected: string[]) => {
      const r = await open(path);
      expect(r.status, path).toBe('error');
      for (const e of expected) expect(r.problems, path).toContain(e);
      expect(r.summary).toBeNull();
      await r.page.close();
    };
    // A deflate bomb: 64 MB of zeros in 64 KB of link; refused while it inflates (at most 8 MB).
    const bomb = await new Promise<Buffer>((resolve) => {
      const z = createDeflateRaw({ level: 9 });
      const parts: Buffer[] = [];
      z.on('data', (b: Buffer) => parts.push(b));
      z.on('end', () => resolve(Buffer.concat(parts)));
      const zeros = Buffer.alloc(1 << 20);
      for (let i = 0; i < 64; i++) z.write(zeros);
      z.end();
    });
    await refused(`?seconds=1&fast#flux=1.${bomb.toString('base64url')}`, 'share link: its data inflates to more than 8388608 bytes');
    const big = `dt: 0.1 ms\npopulations:\n  huge: { model: lif, size: 2000000 }\n`;
    const hugeLink = await encodeShareLink({ document: '/local/huge.yaml', documents: { '/local/huge.yaml': big } });
    await refused(`?seconds=1&fast#${hugeLink}`, '/local/huge.yaml', 'too large for a browser tab: 2,000,000 neurons');
    const withBoard = readFileSync(join(ROOT, BRIDGE), 'utf8') + '\ndevices:\n  arm: { board: { port: /dev/ttyACM0 } }\n';
    const boardLink = await encodeShareLink({ document: PAGE_BRIDGE, documents: { [PAGE_BRIDGE]: withBoard } });
    await refused(`?seconds=1&fast#${boardLink}`, PAGE_BRIDGE, '/devices/arm', 'not reachable from a browser tab');
    await refused('?seed=abc', 'the page address: seed: expected an integer');
    await refused('?seconds=soon', '?seconds=soon: expected simulated seconds');
    await refused('?bridge=/flux/examples/../../etc/passwd', 'the page address: document: expected an absolute path');
  }, 90_000);

  it('drives the same where the browser has no scheduler.postTask (turns as MessageChannel messages)', async () => {
    const page = await browser.newPage();
    await page.addInitScript(() => Reflect.deleteProperty(globalThis, 'scheduler'));
    await page.goto(server.url + 'run.html?seconds=3&fast');
    await page.waitForSelector('body[data-status="done"], body[data-status="error"]', { state: 'attached', timeout: 60_000 });
    expect(await page.evaluate(() => 'scheduler' in globalThis)).toBe(false);
    expect(await page.textContent('#errors')).toBe('');
    expect(JSON.parse((await page.textContent('#summary'))!)).toEqual(await nodeRun(3));
    await page.close();
  }, 60_000);

  it('opens what `flux share` links from the Node process: the same documents, the same run', async () => {
    const robot = await shareLink(join(ROOT, BRIDGE), { page: server.url, seed: 3 });
    // Under /shared/, relative to the folder the documents share, packages in node_modules/, a built-in arena apart.
    expect(Object.keys(robot.documents).sort()).toEqual([
      '/flux-arenas/default.yaml',
      '/shared/braitenberg.yaml',
      '/shared/node_modules/@flux-library/braitenberg/braitenberg.yaml',
      '/shared/node_modules/@flux-library/braitenberg/package.json',
    ]);
    expect(robot.link.startsWith(server.url + '#flux=1.')).toBe(true);
    const inPage = await open(`?seconds=3&fast${robot.link.slice(robot.link.indexOf('#'))}`);
    expect(inPage.problems).toBe('');
    expect(inPage.summary).toEqual(await nodeRun(3, { seed: 3 }));
    await inPage.page.close();

    const coba = await shareLink(join(ROOT, 'examples/coba.yaml'), { page: server.url });
    expect(Object.keys(coba.documents)).toEqual(['/shared/coba.yaml']);
    const run = await openCircuit(`?seconds=0.2&fast${coba.link.slice(coba.link.indexOf('#'))}`);
    expect(run.spikes).toEqual(await nodeCircuit(join(ROOT, 'examples/coba.yaml'), 0.2));
  }, 60_000);
});
