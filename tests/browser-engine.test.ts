// The engine in a browser tab (issue 21, item 1): the engine's sources bundled by Vite for the browser,
// with Node's host replaced by the browser's (engine/platform/browser-host.ts), served by a plain static
// server on loopback and run in headless Chromium. The page builds a circuit from documents it is
// handed, on the WebAssembly kernels, and must give the spikes Node gives, step for step.
import { chromiumSuitesRun } from '../tools/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { STORAGE_BUFFERS } from '../engine/backends/webgpu/gpu.js';
import { ROOT } from './helpers.js';
import { holdLock } from './fixtures/hold-lock.js';
import { requires } from './requirements.js';
import { cobaText } from '../bench/networks.js';
import { CHROMIUM, buildEnginePage, nodeRun, openEnginePage, serveDir } from '../bench/browser-page.js';
import type { PageRun } from '../bench/record-run.js';
import { ISOLATION_HEADERS } from '../engine/platform/isolation.js';

// Without Debian's chromium the browser tests are skipped, except under CI=true, where they fail.
const runBrowser = chromiumSuitesRun();
if (!runBrowser) requires('chromium', `${CHROMIUM} not found`);

describe.runIf(runBrowser)('the engine in a browser tab', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serveDir>>;
  let browser: Browser;
  let page: Page;

  // Not beside the suites that measure the loop's timing: Chromium running a network takes a core
  // (tests/fixtures/exclusive.ts).
  holdLock();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flux-browser-engine-'));
    await buildEnginePage(dir);
    server = await serveDir(dir);
    // WebGPU is behind a flag in Chromium on Linux; with it, headless Chromium offers SwiftShader's adapter.
    ({ browser, page } = await openEnginePage(server.url, ['--enable-unsafe-webgpu']));
  }, 660_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const pageAdapter = () => page.evaluate(() => globalThis.fluxAdapter());
  const inPage = (documents: Record<string, string>, file: string, steps: number, backend: 'cpu' | 'webgpu' = 'cpu'): Promise<PageRun> =>
    page.evaluate(([d, f, s, b]) => globalThis.fluxRun(d, f, s, b), [documents, file, steps, backend] as const);

  it('runs the Izhikevich patterns on the WebAssembly kernels with the spikes Node gives', async () => {
    const text = readFileSync(join(ROOT, 'examples/izhikevich-patterns.yaml'), 'utf8');
    const run = await inPage({ '/izhikevich-patterns.yaml': text }, '/izhikevich-patterns.yaml', 10_000);
    expect(run.backend).toBe('cpu');
    expect(run.kernels).toBe('wasm');
    const node = (await nodeRun(join(ROOT, 'examples/izhikevich-patterns.yaml'), text, 10_000)).spikeSteps;
    expect(Object.keys(run.spikeSteps).sort()).toEqual(['CH', 'FS', 'IB', 'LTS', 'RS', 'RZ', 'TC']);
    for (const [name, steps] of Object.entries(node)) {
      expect(steps.length, name).toBeGreaterThan(5);
      expect(run.spikeSteps[name], name).toEqual(steps);
    }
  });

  it('builds and runs COBA (4000 neurons, 1 s) with every spike Node gives, for the same seed', async () => {
    const text = cobaText(4000, 80);
    const run = await inPage({ '/coba.yaml': text }, '/coba.yaml', 10_000);
    const node = (await nodeRun(join(ROOT, 'examples/coba.yaml'), text, 10_000)).spikeSteps;
    const total = (r: Record<string, number[]>) => Object.values(r).reduce((a, s) => a + s.length, 0);
    // Self-sustained activity at about 17 Hz: some 67,000 spikes.
    expect(total(node)).toBeGreaterThan(40_000);
    expect(run.spikeSteps).toEqual(node);
  });

  it('runs COBA on two kernel threads (Web Workers) in a cross-origin isolated page, every spike as Node gives', async () => {
    const isolated = await serveDir(dir, ISOLATION_HEADERS);
    const second = await openEnginePage(isolated.url);
    try {
      expect(await second.page.evaluate(() => crossOriginIsolated)).toBe(true);
      const text = cobaText(4000, 80);
      const run: PageRun = await second.page.evaluate(([d, s]) => globalThis.fluxRun(d, '/coba.yaml', s, 'cpu', 2), [
        { '/coba.yaml': text },
        5_000,
      ] as const);
      expect(run.threads).toBe(2);
      expect(run.spikeSteps).toEqual((await nodeRun(join(ROOT, 'examples/coba.yaml'), text, 5_000)).spikeSteps);
    } finally {
      await second.browser.close();
      await isolated.close();
    }
    // The page above is not isolated: one thread, whatever the machine's cores.
    const alone = await inPage({ '/coba.yaml': cobaText(4000, 80) }, '/coba.yaml', 10);
    expect(alone.threads).toBe(1);
  });

  it("runs the Izhikevich patterns on the page's WebGPU, the counts of Node's CPU within one spike", async (ctx) => {
    const gpu = await pageAdapter();
    // The WebAssembly path above is required; WebGPU only where this Chromium has an adapter Flux can use.
    if (gpu.name === null) return ctx.skip(`no WebGPU adapter in this Chromium: ${gpu.why}`);
    // The kernels bind WebGPU's default of storage buffers, which every adapter offers (SwiftShader here: 10).
    expect(gpu.storageBuffers).toBeGreaterThanOrEqual(STORAGE_BUFFERS);
    const text = readFileSync(join(ROOT, 'examples/izhikevich-patterns.yaml'), 'utf8');
    const run = await inPage({ '/izhikevich-patterns.yaml': text }, '/izhikevich-patterns.yaml', 10_000, 'webgpu');
    expect(run.backend).toBe('webgpu');
    const node = (await nodeRun(join(ROOT, 'examples/izhikevich-patterns.yaml'), text, 10_000)).spikeSteps;
    // float32 on the GPU: the parity suite's rule for these patterns (Brian2's float32 counts agree too).
    for (const [name, steps] of Object.entries(node))
      expect(Math.abs(run.spikeSteps[name].length - steps.length), name).toBeLessThanOrEqual(1);
  });

  it('names a document the page was not given, with its path', async () => {
    const text = 'name: x\ndt: 0.1 ms\ninclude: [{ module: ./missing.yaml, prefix: m }]\n';
    await expect(inPage({ '/x.yaml': text }, '/x.yaml', 1)).rejects.toThrow(/missing\.yaml/);
  });
});
