// Devices in the bridge editor: a node that drives hardware (as flux run does: no run control, no
// simulator) serves the IDE; in headless Chromium, driven by roles and names, the page declares a serial
// device by the bridge schema's own form and binds an input to one of its fields. The device is a socat
// pseudo-terminal the test plays; a port that is no serial device is refused at the server, and undo
// builds the bridge back without the binding.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { FluxNode } from '../bridge/node/node.js';
import { startDashboard, type Dashboard } from '../ui/server.js';
import { example, libraryCircuit, tempDir } from './helpers.js';
import { requires } from './requirements.js';
import { holdLock } from './fixtures/hold-lock.js';
import { ptyPair, type PtyPair } from './fixtures/pty.js';
import { CHROMIUM, openPage, controls, set, shot, statusIs } from './fixtures/ide-page.js';

const CI = process.env.CI === 'true';
const haveSocat = spawnSync('socat', ['-V']).status === 0;
const runIt = (existsSync(CHROMIUM) && haveSocat) || CI;
if (!runIt) requires(existsSync(CHROMIUM) ? 'socat' : 'chromium', `${existsSync(CHROMIUM) ? 'socat' : CHROMIUM} not found`);

const dir = tempDir('flux-ide-devices-');
const CIRCUIT = join(dir, 'circuit.yaml');
const BRIDGE = join(dir, 'bridge.yaml');
writeFileSync(CIRCUIT, readFileSync(libraryCircuit('braitenberg/braitenberg'), 'utf8').replace(/^\$schema: .*$/m, ''));
writeFileSync(BRIDGE, readFileSync(example('bridges/braitenberg.yaml'), 'utf8').replace(/^circuit: .*$/m, 'circuit: ./circuit.yaml'));

describe.runIf(runIt)('the bridge editor declares a serial device and binds an input to it', () => {
  holdLock();
  let pty: PtyPair;
  let node: FluxNode;
  let dash: Dashboard;
  let browser: Browser;
  let page: Page;
  let feed: ReturnType<typeof setInterval> | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    expect(haveSocat, 'socat (Debian package) is needed; .ci/run installs it').toBe(true);
    pty = await ptyPair('flux-ide-dev-');
    node = await FluxNode.start({ bridge: BRIDGE, transport: 'memory', backend: 'cpu', threads: 1, log: () => undefined });
    dash = await startDashboard({ node, port: 0 });
    ({ browser, page } = await openPage(1300, pageErrors));
  }, 120_000);

  afterAll(async () => {
    clearInterval(feed);
    await browser?.close();
    await dash?.close();
    await node?.shutdown();
    await pty?.close();
  });

  it('refuses a port that is no serial device, declares one that is, and drives an input from its lines', async () => {
    const { group, button } = controls(page);
    await page.goto(dash.url);
    await expect.poll(() => page.getByTestId('connection').textContent(), { timeout: 10_000 }).toBe('live');
    await page.getByText('Declare a device', { exact: true }).click();
    const dev = group('device');
    await set(dev, 'name', 'ranger');
    // The bridge schema's form: a serial device's port, speed, framing (an either-or) and the fields it reads (a list).
    await set(dev, 'serial baudRate', '115200');
    await set(dev, 'serial framing as', 'kind: lines or json');
    await set(dev, 'serial framing kind', 'lines');
    await button('Add to serial inputs').click();
    await set(dev, 'serial inputs 1 name', 'front');
    await set(dev, 'serial inputs 1 key', 'front');
    // A file that is no serial device, directly or through a link: refused before anything opens it.
    const link = join(dir, 'ttyFAKE');
    symlinkSync('/etc/hostname', link);
    for (const path of ['/etc/hostname', link, '/dev/null']) {
      await set(dev, 'serial path', path);
      await button('Declare device').click();
      await expect
        .poll(() => page.getByTestId('edit-error').textContent(), { timeout: 15_000 })
        .toMatch(/a serial device .* not another file/);
      await set(dev, 'serial path', '');
    }
    expect(node.devices.size).toBe(0);
    await set(dev, 'serial path', pty.dev);
    await button('Declare device').click();
    await statusIs(page, 'bind device ranger: done', 60_000);
    expect([...node.devices.keys()]).toEqual(['ranger']);
    // The input range_front, bound to a topic until now, reads the device's field instead.
    await page.getByText('Bind an input to a topic', { exact: true }).click();
    const b = group('input binding');
    await set(b, 'name', 'range_front');
    await button('Load input').click();
    await expect.poll(() => b.getByLabel('topic', { exact: true }).inputValue()).not.toBe('');
    await set(b, 'device', 'ranger');
    await set(b, 'field', 'front');
    await button('Bind input').click();
    await statusIs(page, 'bind input range_front: done', 60_000);
    const bindings = page.getByRole('list', { name: 'bindings' });
    await expect.poll(() => bindings.textContent(), { timeout: 10_000 }).toMatch(/input range_front ← device ranger/);
    // The test plays the device: an obstacle ahead, 0.3 m.
    feed = setInterval(() => pty.peer.write('front=0.3\n'), 20);
    await expect
      .poll(() => node.bridge.snapshot().devices, { timeout: 10_000 })
      .toEqual([{ name: 'ranger', status: expect.stringMatching(/^serial .* connected$/) }]);
    await expect.poll(() => node.bridge.staleInputs().includes('range_front'), { timeout: 10_000 }).toBe(false);
    const row = page.getByTestId('io').getByRole('row').filter({ hasText: 'range_front' });
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toMatch(/fresh/);
    await shot(page, 'devices');
    // Undo builds the bridge back: the input reads its topic again.
    await button('Undo').click();
    await statusIs(page, 'undone: bind inputs.range_front', 60_000);
    await expect.poll(() => bindings.textContent(), { timeout: 10_000 }).not.toMatch(/range_front ← device/);
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
