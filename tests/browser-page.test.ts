// Flux in a browser tab (issue 21, items 2-4): `npm run build:web`'s folder (web/vite.config.ts),
// served by a plain static server on loopback and opened in headless Chromium. The Braitenberg bridge
// drives the simulated robot in the page (the engine on WebAssembly, MuJoCo's WebAssembly build, the
// bridge's in-process transport) and must drive as Node drives it: the same trajectory and the same
// spikes, to the last bit. Share links carry the documents in the URL fragment and reproduce a run in
// a fresh page; a link that does not decode, or documents that do not validate, run nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from './helpers.js';
import { requires } from './requirements.js';
import { CHROMIUM, buildWebPage, serveDir } from '../bench/browser-page.js';
import { ClosedLoop } from '../sim/loop.js';
import type { TickSpikes } from '../bridge/bridge.js';
import { encodeShareLink } from '../sharing/link.js';
import type { RunSummary } from '../web/robot-run.js';

const runBrowser = existsSync(CHROMIUM) || process.env.CI === 'true';
if (!runBrowser) requires('chromium', `${CHROMIUM} not found`);

const BRIDGE = 'examples/bridges/braitenberg.yaml';
const PAGE_BRIDGE = `/flux/${BRIDGE}`;

/** The same run in Node: one thread, as in the page. */
async function nodeRun(seconds: number, o: { bridgeText?: string; seed?: number } = {}): Promise<RunSummary> {
  const loop = await ClosedLoop.create({
    bridge: join(ROOT, BRIDGE),
    ...o,
    arena: 'default',
    backend: 'auto',
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

describe.runIf(runBrowser)('Flux in a browser tab: the robot, share links', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serveDir>>;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flux-web-'));
    await buildWebPage(dir);
    server = await serveDir(dir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Opens the page at `path` (query and fragment) in a fresh page and waits for the run's end. */
  async function open(path: string) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url + path);
    await page.waitForSelector('body[data-status="done"], body[data-status="error"]', { state: 'attached', timeout: 120_000 });
    const status = await page.evaluate(() => document.body.dataset.status);
    const summary = (await page.textContent('#summary')) ?? '';
    return {
      page,
      status,
      errors,
      problems: (await page.textContent('#errors')) ?? '',
      summary: summary ? (JSON.parse(summary) as RunSummary) : null,
    };
  }

  it('drives the robot for 30 s of simulated time without a collision, as Node does to the last bit', async () => {
    const { page, status, errors, summary } = await open('?seconds=30&fast');
    expect(errors).toEqual([]);
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
    const fragment = await encodeShareLink({ bridge: PAGE_BRIDGE, arena: 'default', seed: 3, documents: { [PAGE_BRIDGE]: edited } });
    const first = await open(`?seconds=5&fast#${fragment}`);
    expect(first.errors).toEqual([]);
    expect(first.status).toBe('done');
    const node = await nodeRun(5, { bridgeText: edited, seed: 3 });
    expect(first.summary).toEqual(node);
    // The edit and the seed matter: the shipped document with its default seed drives otherwise.
    expect(node.spikes).not.toEqual((await nodeRun(5)).spikes);

    await first.page.click('#share');
    const link = await first.page.inputValue('#share-link');
    expect(link.startsWith(server.url)).toBe(true);
    const shared = link.slice(link.indexOf('#'));
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
    const fragment = await encodeShareLink({ bridge: PAGE_BRIDGE, arena: 'default', documents: { [PAGE_BRIDGE]: broken } });
    const invalid = await open(`?seconds=1&fast#${fragment}`);
    expect(invalid.status).toBe('error');
    expect(invalid.problems).toContain(PAGE_BRIDGE);
    expect(invalid.problems).toContain('/tick');
    expect(invalid.summary).toBeNull();
    await invalid.page.close();
  }, 60_000);
});
