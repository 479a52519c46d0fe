// The IDE in a browser tab (issue 21, items 3 and 5): `npm run build:web`'s folder served by a plain
// static server on loopback, opened in headless Chromium. Its index is the IDE a Flux process serves,
// with the engine, the bridge and the simulated robot in the page: the same browser code, route table
// and stream (ui/api.ts, ui/dashboard-stream.ts), reached in the page. The suite runs the IDE steps of
// tests/ide.test.ts (COBA from an empty page with the forms alone, a refused value, undo and redo,
// reset, the rate, pause, step, speed) on it; Save writes the page's documents and Share carries them,
// which a fresh page and Node both run; the robot drives under the IDE and a failure in the page ends
// the run with the robot's safe command.
import { chromiumSuitesRun } from '../tools/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { requires } from './requirements.js';
import { buildWebPage, serveDir } from '../bench/browser-page.js';
import { decodeShareLink } from '../sharing/link.js';
import { loadCircuit } from '../engine/engine.js';
import { CHROMIUM, FLUX, controls, openPage, shot } from './fixtures/ide-page.js';
import { COBA_SUMMARY, ideSteps } from './fixtures/ide-steps.js';
import { holdLock } from './fixtures/hold-lock.js';

const runBrowser = chromiumSuitesRun();
if (!runBrowser) requires('chromium', `${CHROMIUM} not found`);

/** A circuit the page does not have: the IDE starts it empty, as flux edit does a missing file. */
const NEW_CIRCUIT = '/work/coba.yaml';

describe.runIf(runBrowser)('the IDE in a browser tab, with the engine in the page', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serveDir>>;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let steps: ReturnType<typeof ideSteps>;
  let rate = NaN;
  // Not beside the suites that measure the loop's timing (tests/fixtures/exclusive.ts).
  holdLock();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flux-web-ide-'));
    await buildWebPage(dir);
    server = await serveDir(dir);
    ({ browser, page } = await openPage(1100, pageErrors));
    steps = ideSteps(page, 'page');
  }, 660_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens an empty circuit the page does not have, live, with run control', async () => {
    await page.goto(`${server.url}?circuit=${NEW_CIRCUIT}`);
    // The page's errors, if any, are what it says instead (a failure then shows them).
    await expect
      .poll(async () => (pageErrors.length ? pageErrors.join('\n') : await page.textContent('#what')), { timeout: 60_000 })
      .toBe(`${NEW_CIRCUIT} (a new, empty circuit): the engine runs in this page.`);
    await expect.poll(() => page.getByTestId('connection').textContent(), { timeout: 10_000 }).toBe('live');
    await expect.poll(() => page.getByRole('status', { name: 'run state' }).textContent(), { timeout: 10_000 }).toBe('running');
    expect(await page.getByTestId('summary').textContent()).toBe('0 populations, 0 projections, 0 neurons');
  }, 90_000);

  it('builds COBA with the forms alone', () => steps.buildCoba(), 120_000);

  it('an invalid value shows the checker message and changes nothing', () => steps.refuseInvalid());

  it('undo removes the last projection and redo brings it back', () => steps.undoRedo(), 60_000);

  it('reset starts the network from its initial state; it runs at 15-25 Hz; pause stops the clock and step advances it', async () => {
    rate = await steps.resetRunPauseStep();
  }, 120_000);

  it("saves to the page's documents; Share carries them; a fresh page opens the same circuit and Node runs it at the same rate", async () => {
    const { button, status } = controls(page);
    await button('Save').click();
    await expect
      .poll(() => status().textContent(), { timeout: 15_000 })
      .toBe(
        `saved ${NEW_CIRCUIT} (6 changed: populations.exc, populations.inh, projections.ee, projections.ei, projections.ie, projections.ii)`,
      );
    await page.click('#share');
    await expect.poll(() => page.inputValue('#share-link'), { timeout: 10_000 }).toMatch(/#flux=1\./);
    const link = await page.inputValue('#share-link');
    expect(link.startsWith(server.url + '#flux=1.')).toBe(true);
    expect(await page.textContent('#share-problem')).toBe('');
    const shared = await decodeShareLink(link.slice(link.indexOf('#')));
    expect(shared.document).toBe(NEW_CIRCUIT);
    expect(Object.keys(shared.documents)).toEqual([NEW_CIRCUIT]);

    // What the page saved is a circuit file Node loads and runs at the rate the page showed.
    const file = join(dir, 'coba-from-page.yaml');
    writeFileSync(file, shared.documents[NEW_CIRCUIT]);
    const { circuit } = loadCircuit(file);
    expect(circuit.populations.map((p) => [p.name, p.size])).toEqual([
      ['exc', 3200],
      ['inh', 800],
    ]);
    expect(circuit.projections.map((p) => p.name)).toEqual(['ee', 'ei', 'ie', 'ii']);
    const out = execFileSync(
      process.execPath,
      [FLUX, 'simulate', file, '--duration', '1s', '--quiet', '--backend', 'cpu', '--threads', '1', '--out', join(dir, 'rec.json')],
      { encoding: 'utf8' },
    );
    const hz = (pop: string) => Number(new RegExp(`^${pop}\\s+\\d+ spikes\\s+([\\d.]+) Hz`, 'm').exec(out)![1]);
    const simulated = (hz('exc') * 3200 + hz('inh') * 800) / 4000;
    console.log(`flux simulate on the page's saved circuit: ${simulated.toFixed(1)} Hz; in the page's IDE ${rate.toFixed(1)} Hz`);
    expect(Math.abs(simulated - rate) / simulated).toBeLessThan(0.2);

    const fresh = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await fresh.goto(link);
    await expect.poll(() => fresh.getByTestId('summary').textContent(), { timeout: 60_000 }).toBe(COBA_SUMMARY);
    await expect.poll(() => fresh.getByRole('status', { name: 'run state' }).textContent(), { timeout: 10_000 }).toBe('running');
    await fresh.close();
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('drives the simulated robot under the IDE; a failure in the page ends the run with the robot told to stop', async () => {
    const robot = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const errors: string[] = [];
    robot.on('pageerror', (e) => errors.push(e.message));
    await robot.goto(`${server.url}?seed=3`);
    await expect.poll(() => robot.evaluate(() => document.body.dataset.status), { timeout: 60_000 }).toBe('running');
    // The Braitenberg vehicle, from the bridge document's package circuit, in the default arena.
    await expect
      .poll(() => robot.getByTestId('summary').textContent(), { timeout: 10_000 })
      .toBe('6 populations, 7 projections, 120 neurons');
    type Robot = { driven: number; collisions: number; commanded: { linear: number } };
    const status = () =>
      robot.evaluate(() => {
        // The page's live store (ui/web/app.ts puts it on window for tests and the curious).
        const live: unknown = Reflect.get(window, 'flux');
        const t: unknown = live && typeof live === 'object' ? Reflect.get(live, 'telemetry') : null;
        return (t && typeof t === 'object' ? Reflect.get(t, 'robot') : null) as Robot | null;
      });
    await expect.poll(async () => (await status())?.driven ?? 0, { timeout: 30_000 }).toBeGreaterThan(1);
    const moving = (await status())!;
    expect(moving.collisions).toBe(0);
    expect(moving.commanded.linear).toBeGreaterThan(0);
    await shot(robot, 'page-robot');
    // A failure on a later turn of the page's event loop, as a bug in any callback would be.
    await robot.evaluate(
      () =>
        void setTimeout(() => {
          throw new Error('forced failure in the page');
        }, 0),
    );
    await expect.poll(() => robot.evaluate(() => document.body.dataset.status), { timeout: 10_000 }).toBe('error');
    expect(await robot.textContent('#errors')).toContain('forced failure in the page');
    const commanded = JSON.parse((await robot.evaluate(() => document.body.dataset.commanded)) ?? 'null') as {
      linear: number;
      angular: number;
    };
    expect(commanded).toMatchObject({ linear: 0, angular: 0 });
    expect(errors).toEqual(['forced failure in the page']);
    // The IDE says the run ended and its requests are refused: nothing acts on the stopped node.
    await expect.poll(() => robot.getByTestId('connection').textContent(), { timeout: 5000 }).toBe('stopped');
    await robot.close();
  }, 120_000);
});
