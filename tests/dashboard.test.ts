// The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core, against the
// real server on loopback with a real Flux node (the Braitenberg controller on the simulated robot,
// CPU backend, one thread, paced at real time). Screenshots go to test-artifacts/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, readFileSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ClosedLoop } from '../sim/loop.js';
import { startDashboard, type Dashboard } from '../ui/server.js';
import { loadCircuit } from '../engine/engine.js';
import { ROOT, example, tempDir, libraryCircuit } from './helpers.js';
import { requires } from './requirements.js';
import { holdLock } from './fixtures/hold-lock.js';

import { CHROMIUM, chromiumSuitesRun } from '../tools/chromium.js';
const ARTIFACTS = join(ROOT, 'test-artifacts');
// Without Debian's chromium the browser tests are skipped, except under CI=true, where they fail.
const runBrowser = chromiumSuitesRun();
if (!runBrowser) requires('chromium', `${CHROMIUM} not found`);

/** Compiles the browser code when dist/ui/web is missing or older than its sources (npm run build does it too). */
function ensureWebBuilt(): void {
  const src = join(ROOT, 'ui', 'web');
  const out = join(ROOT, 'dist', 'ui', 'web');
  const newest = Math.max(...readdirSync(src).map((f) => statSync(join(src, f)).mtimeMs));
  const built = existsSync(join(out, 'main.js'))
    ? Math.min(
        ...readdirSync(src)
          .filter((f) => f.endsWith('.ts'))
          .map((f) => (existsSync(join(out, f.replace(/\.ts$/, '.js'))) ? statSync(join(out, f.replace(/\.ts$/, '.js'))).mtimeMs : 0)),
      )
    : 0;
  if (built < newest)
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'ui', 'tsconfig.json')], {
      stdio: 'inherit',
    });
}

// The Braitenberg circuit with two additions: `quiet`, a population nothing drives (it never fires
// until an edit gives it a bias), and a module `osc` (an included file) to show module groups and to
// check that a save writes a module's change into the include's override.
const dir = tempDir('flux-dashboard-');
const CIRCUIT = join(dir, 'circuit.yaml');
writeFileSync(
  join(dir, 'osc.yaml'),
  `# a small module
name: osc
populations:
  a: { model: lif, size: 10, params: { i_offset: 300 pA } }
  b: { model: lif, size: 10 }
projections:
  a_to_b: { source: a, target: b, connectivity: { type: all_to_all }, weight: 2 nS, synapse: { type: conductance, receptor: excitatory } }
`,
);
writeFileSync(
  CIRCUIT,
  readFileSync(libraryCircuit('braitenberg/braitenberg'), 'utf8').replace(
    '$schema: ../../schema/circuit.schema.json',
    '# the dashboard test circuit\ninclude:\n  - { module: ./osc.yaml, prefix: osc }',
  ),
);
// `quiet` goes into the populations section.
writeFileSync(CIRCUIT, readFileSync(CIRCUIT, 'utf8').replace('populations:\n', 'populations:\n  quiet:        { model: lif, size: 20 }\n'));
const BRIDGE = join(dir, 'bridge.yaml');
writeFileSync(BRIDGE, readFileSync(example('bridges/braitenberg.yaml'), 'utf8').replace(/^circuit: .*$/m, 'circuit: ./circuit.yaml'));

let loop: ClosedLoop;
let dash: Dashboard;
let browser: Browser;
let page: Page;
/** The page's uncaught errors since it opened. */
const pageErrors: string[] = [];
let running: Promise<void>;

async function shot(name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
}

const text = (id: string) => page.getByTestId(id).first().textContent();
const num = async (id: string) => Number((await text(id))?.replace(/[^0-9.eE+-]/g, ''));
/** The rate (Hz) the page shows for a population (its legend entry under the rate plot). */
const rate = async (pop: string) => {
  const t =
    (await page
      .getByTestId(`rate-${pop}`)
      .textContent({ timeout: 2000 })
      .catch(() => null)) ?? '';
  const v = parseFloat(t.replace(/k$/, 'e3'));
  return Number.isFinite(v) ? (t.endsWith('k') ? v * 1000 : v) : 0;
};

/** Polls `probe` until `ok` holds; returns the value and how long it took (ms). */
async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  let value = await probe();
  while (!ok(value)) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
    value = await probe();
  }
  return { value, ms: performance.now() - t0 };
}

describe.runIf(runBrowser)('dashboard in headless Chromium', () => {
  // Not beside the suites that measure the loop's timing (tests/fixtures/exclusive.ts).
  holdLock();
  beforeAll(async () => {
    ensureWebBuilt();
    loop = await ClosedLoop.create({ bridge: BRIDGE, arena: 'default', backend: 'cpu', threads: 1, log: () => undefined });
    running = loop.start({ paced: 1 });
    dash = await startDashboard({ node: loop.node, sim: loop.sim, port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 660_000);

  afterAll(async () => {
    await browser?.close();
    await dash?.close();
    await loop?.close();
    await running;
  });

  it('loads: the page, the live connection, the graph, and a step counter that advances', async () => {
    // A token by default, on loopback too: the page takes it from its URL for the API and the WebSocket.
    expect(dash.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
    await page.goto(dash.url);
    expect(await page.title()).toBe('Flux dashboard');
    await expect.poll(() => text('connection'), { timeout: 5000 }).toBe('live');
    await page.getByTestId('node-motor_left').waitFor({ timeout: 5000 });
    const a = await num('step');
    await page.waitForTimeout(400);
    const b = await num('step');
    expect(b).toBeGreaterThan(a);
    expect(await page.getByTestId('module-osc').count()).toBeGreaterThan(0);
    // The arena view follows the simulated robot.
    await expect.poll(() => text('robot'), { timeout: 3000 }).toMatch(/pose \(/);
    expect(pageErrors).toEqual([]);
    await shot('loaded');
  });

  it('the raster updates: spikes arrive and the canvas changes', async () => {
    const canvas = () => page.getByTestId('raster').evaluate((c) => (c as HTMLCanvasElement).toDataURL());
    const spikes = async () => Number(((await text('spike-count')) ?? '').split(' ')[0]);
    const n0 = await spikes();
    const img0 = await canvas();
    await page.waitForTimeout(600);
    expect(await spikes()).toBeGreaterThan(n0);
    expect(await canvas()).not.toBe(img0);
  });

  it('a parameter changed in the UI changes firing within a second while the steps go on', async () => {
    await page.getByTestId('node-quiet').click();
    await page.getByTestId('inspector-population').waitFor();
    // Nothing drives `quiet`: it is silent.
    await page.waitForTimeout(300);
    expect(await rate('quiet')).toBe(0);
    const step0 = await num('step');
    await page.getByTestId('param-i_offset').fill('600 pA');
    const t0 = performance.now();
    await page.getByTestId('apply-i_offset').click();
    const seen = await until(
      () => rate('quiet'),
      (r) => r > 5,
      3000,
    );
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(1000);
    expect(await num('step')).toBeGreaterThan(step0);
    expect(loop.node.engine.flat.doc.populations!.quiet.params).toEqual({ i_offset: '600 pA' });
    expect(seen.value).toBeGreaterThan(5);
    await shot('param-change');
  });

  it('a population added live appears in the graph and fires', async () => {
    await page.getByTestId('add-population').locator('summary').click();
    await page.getByTestId('add-pop-name').fill('extra');
    await page.getByTestId('add-pop-size').fill('10');
    await page.getByTestId('add-pop-params').fill('i_offset: 500 pA');
    await page.getByTestId('add-pop').click();
    await page.getByTestId('node-extra').waitFor({ timeout: 3000 });
    expect(loop.node.engine.circuit.populations.some((p) => p.name === 'extra')).toBe(true);
    await until(
      () => rate('extra'),
      (r) => r > 5,
      3000,
    );
    await shot('population-added');
  });

  it('an invalid edit shows its error and leaves the network untouched', async () => {
    const before = structuredClone(loop.node.engine.flat.doc);
    const circuit = loop.node.engine.circuit;
    await page.getByTestId('node-quiet').click();
    await page.getByTestId('param-tau_m').fill('-5 ms');
    await page.getByTestId('apply-tau_m').click();
    const err = page.getByTestId('edit-error');
    await err.waitFor({ timeout: 3000 });
    expect(await err.textContent()).toMatch(/tau_m/);
    expect(await err.isVisible()).toBe(true);
    expect(loop.node.engine.flat.doc).toEqual(before);
    expect(loop.node.engine.circuit).toBe(circuit);
    // A unit of the wrong kind too.
    await page.getByTestId('param-tau_m').fill('5 mV');
    await page.getByTestId('apply-tau_m').click();
    await expect.poll(async () => (await err.textContent()) ?? '').toMatch(/voltage/);
    expect(loop.node.engine.flat.doc).toEqual(before);
    await shot('invalid-edit');
  });

  it('undo takes the last edit back', async () => {
    // The last applied edit is the added population.
    expect(await page.getByTestId('undo').textContent()).toMatch(/add population extra/);
    await page.getByTestId('undo').click();
    await page.getByTestId('node-extra').waitFor({ state: 'detached', timeout: 3000 });
    expect(loop.node.engine.circuit.populations.some((p) => p.name === 'extra')).toBe(false);
  });

  it('a module can be collapsed into one node and expanded again', async () => {
    await page.getByTestId('node-osc.a').waitFor();
    await page.locator('svg [data-testid="module-osc"]').first().click();
    await page.getByTestId('node-osc.a').waitFor({ state: 'detached', timeout: 2000 });
    await shot('module-collapsed');
    await page.locator('svg [data-testid="module-osc"]').first().click();
    await page.getByTestId('node-osc.a').waitFor({ timeout: 2000 });
  });

  it('save writes the running circuit back to its file, and it reloads equal', async () => {
    // One more edit, inside the module: it belongs in the include's override.
    await page.getByTestId('node-osc.b').click();
    await page.getByTestId('param-tau_m').fill('12 ms');
    await page.getByTestId('apply-tau_m').click();
    await expect.poll(() => loop.node.engine.flat.doc.populations!['osc.b'].params?.tau_m).toBe('12 ms');
    await page.getByTestId('save').click();
    await expect.poll(() => text('edit-status'), { timeout: 3000 }).toMatch(/^saved /);
    const saved = readFileSync(CIRCUIT, 'utf8');
    expect(saved).toContain('# the dashboard test circuit');
    expect(saved).toMatch(/override:/);
    const { circuit } = loadCircuit(CIRCUIT);
    expect(circuit).toEqual(loop.node.engine.circuit);
    expect(circuit.populations.find((p) => p.name === 'quiet')!.params.i_offset).toBe(600);
    expect(circuit.populations.find((p) => p.name === 'osc.b')!.params.tau_m).toBe(12);
    // The module file itself is untouched.
    expect(readFileSync(join(dir, 'osc.yaml'), 'utf8')).not.toContain('12 ms');
    await shot('saved');
  });
});
