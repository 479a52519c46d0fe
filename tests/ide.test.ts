// The IDE from an empty page: `flux edit` on a circuit file that does not exist yet, Debian's Chromium
// (headless, playwright-core) driven only by roles and accessible names, as a screen reader or a
// script would. It builds the Vogels–Abbott COBA network (two LIF populations with parameters and
// initial-value distributions, four fixed-probability conductance projections), resets it to its
// initial state, runs it, reads the mean rate in the page, undoes and redoes an edit, saves, and
// checks that `flux validate` accepts the file and `flux simulate` runs it at the same rate.
import { chromiumSuitesRun } from '../tools/chromium.js';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parse } from 'yaml';
import { tempDir } from './helpers.js';
import { requires } from './requirements.js';
import { holdLock } from './fixtures/hold-lock.js';
import { CHROMIUM, openPage, exported as exportedFrom, FLUX, controls, set, shot, startEdit, type FluxEdit } from './fixtures/ide-page.js';
import { ideSteps } from './fixtures/ide-steps.js';

const runBrowser = chromiumSuitesRun();
if (!runBrowser) requires('chromium', `${CHROMIUM} not found`);

const dir = tempDir('flux-ide-');
const FILE = join(dir, 'coba.yaml');

let flux: FluxEdit;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
let url = '';

const group = (name: string) => controls(page).group(name);
const button = (name: string) => controls(page).button(name);
const status = () => controls(page).status();
/** The shared steps (tests/fixtures/ide-steps.ts), on this suite's page once it is open. */
let steps: ReturnType<typeof ideSteps>;
const stepCount = () => steps.stepCount();

describe.runIf(runBrowser)('the IDE in headless Chromium, from an empty page', () => {
  // Not beside the suites that measure the loop's timing (tests/fixtures/exclusive.ts).
  holdLock();
  beforeAll(async () => {
    flux = await startEdit([FILE, '--dashboard', '127.0.0.1:0', '--backend', 'cpu'], dir);
    url = flux.url;
    ({ browser, page } = await openPage(1100, pageErrors));
    steps = ideSteps(page, 'process');
  }, 660_000);

  afterAll(async () => {
    if (process.env.FLUX_IDE_LOG) console.log(flux?.out.join(''), pageErrors);
    await browser?.close();
    await flux?.stop();
  });

  it('flux edit creates the missing file as an empty circuit and serves the page with a token', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
    expect(parse(readFileSync(FILE, 'utf8'))).toEqual({ name: 'coba', dt: '0.1 ms', populations: {} });
    await page.goto(url);
    await expect.poll(() => page.getByTestId('connection').textContent(), { timeout: 10_000 }).toBe('live');
    await expect.poll(() => page.getByRole('status', { name: 'run state' }).textContent(), { timeout: 10_000 }).toBe('running');
  });

  it('builds COBA with the forms alone: two populations, four projections', () => steps.buildCoba(), 120_000);

  it('an invalid value shows the checker message and changes nothing', () => steps.refuseInvalid());

  it('undo removes the last projection and redo brings it back', () => steps.undoRedo(), 60_000);

  it('reset starts the network from its initial state; it runs at 15-25 Hz; pause stops the clock and step advances it', async () => {
    (globalThis as { ideRate?: number }).ideRate = await steps.resetRunPauseStep();
  }, 120_000);

  it("traces a neuron's v, shows a projection's weights, and every plot exports SVG, PNG and CSV", async () => {
    const exported = (name: string) => exportedFrom(page, name);
    await page.getByRole('button', { name: 'population exc', exact: true }).click();
    await set(group('trace'), 'neuron', '3');
    await set(group('trace'), 'variable', 'v');
    await button('Trace neuron').click();
    await expect.poll(() => status().textContent(), { timeout: 10_000 }).toBe('tracing exc[3].v');
    const trace = page.getByRole('img', { name: 'traces of exc[3].v', exact: true });
    await expect.poll(() => trace.count(), { timeout: 10_000 }).toBe(1);
    // 400 ms of simulated time traced (one sample a millisecond) before reading them out; the engine's
    // pace on a loaded machine decides how long that takes.
    const from = await stepCount();
    await expect.poll(stepCount, { timeout: 60_000 }).toBeGreaterThan(from + 4000);
    const csv = (await exported('Export traces as CSV')).toString().trim().split('\n');
    expect(csv[0]).toBe('time_ms,exc[3].v');
    const rows = csv.slice(1).map((l) => l.split(',').map(Number));
    expect(rows.length).toBeGreaterThan(250);
    // Sampled every millisecond; v of a COBA cell stays between its reversal potentials (-80 and 0 mV)
    // and below its threshold (-50 mV), reset to -60 mV after a spike.
    // (A telemetry message that came late carries more than 300 and is thinned: a whole number of ms apart.)
    const gaps = rows.slice(1).map((r, i) => r[0] - rows[i][0]);
    for (const g of gaps) expect(Math.abs(g - Math.round(g)) < 1e-6 && g >= 1).toBe(true);
    expect(gaps.filter((g) => Math.round(g) === 1).length).toBeGreaterThan(gaps.length / 2);
    for (const [, v] of rows) expect(v > -80 && v <= -50).toBe(true);
    expect(new Set(rows.map(([, v]) => v.toFixed(2))).size).toBeGreaterThan(50);
    expect((await exported('Export traces as SVG')).toString()).toMatch(/^<svg[^]*<polyline[^]*exc\[3\]\.v/);
    expect((await exported('Export traces as PNG')).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const rates = (await exported('Export rates as CSV')).toString().split('\n');
    expect(rates[0]).toBe('time_s,exc,inh');
    expect(rates.length).toBeGreaterThan(20);
    const raster = (await exported('Export raster as CSV')).toString().trim().split('\n');
    expect(raster[0]).toBe('time_ms,population,neuron');
    expect(raster.length).toBeGreaterThan(1000);
    expect(raster.slice(1).every((l) => /^[\d.]+,(exc|inh),\d+$/.test(l))).toBe(true);
    expect((await exported('Export raster as SVG')).toString()).toMatch(/^<svg[^]*<rect/);
    expect((await exported('Export raster as PNG')).subarray(0, 4).toString('hex')).toBe('89504e47');

    // The self-loop's thin path: chosen with the keyboard, as the graph's buttons allow.
    await page.getByRole('button', { name: 'projection ee', exact: true }).focus();
    await page.keyboard.press('Enter');
    const stats = page.getByTestId('weight-stats');
    await expect
      .poll(() => stats.textContent(), { timeout: 10_000 })
      .toMatch(/^\d+ synapses: min 6(\.0+)?, mean 6(\.0+)?, max 6(\.0+)? \(nS\)$/);
    const synapses = Number(/^(\d+)/.exec((await stats.textContent())!)![1]);
    // About p · N² = 0.02 · 3200² synapses.
    expect(Math.abs(synapses - 204_800) / 204_800).toBeLessThan(0.05);
    const hist = (await exported('Export weight histogram as CSV')).toString().trim().split('\n');
    expect(hist[0]).toBe('weight_from,weight_to,synapses');
    expect(hist.slice(1).reduce((a, l) => a + Number(l.split(',')[2]), 0)).toBe(synapses);
    const matrix = (await exported('Export weight matrix as CSV')).toString().trim().split('\n');
    expect(matrix[0]).toBe('source_first,source_last,target_first,target_last,mean_weight');
    expect(matrix.length - 1).toBe(48 * 48);
    expect(matrix.slice(1).every((l) => l.endsWith(',6'))).toBe(true);
    // A window of 40 × 40 neurons shows single synapses: each row of the CSV is one source and one target.
    const win = group('weight matrix window');
    await set(win, 'sources', '100:140');
    await set(win, 'targets', '0:40');
    await button('Zoom weight matrix').click();
    const matrixPlot = page.getByRole('img', { name: 'weight matrix' });
    await expect.poll(() => matrixPlot.textContent(), { timeout: 10_000 }).toMatch(/weight of each synapse/);
    const single = (await exported('Export weight matrix as CSV')).toString().trim().split('\n');
    expect(single[0]).toBe('source_first,source_last,target_first,target_last,weight');
    // p = 0.02 over 1600 pairs: about 32 synapses, each a cell of one source and one target in the window.
    expect(single.length - 1).toBeGreaterThan(10);
    for (const l of single.slice(1)) {
      const [sf, sl, tf, tl, w] = l.split(',').map(Number);
      expect([sf === sl, tf === tl, sf >= 100 && sf < 140, tf >= 0 && tf < 40, w], l).toEqual([true, true, true, true, 6]);
    }
    await set(win, 'sources', '0:4000');
    await button('Zoom weight matrix').click();
    await expect
      .poll(() => page.getByRole('alert', { name: 'weights: problem' }).textContent(), { timeout: 10_000 })
      .toMatch(/0 <= from < to <= 3200/);
    await button('Whole weight matrix').click();
    await expect.poll(() => matrixPlot.textContent(), { timeout: 10_000 }).toMatch(/mean weight, sources × targets/);
    await shot(page, 'views');
    await button('Clear traces').click();
    await expect.poll(() => trace.count(), { timeout: 10_000 }).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('saves a file that flux validate accepts and flux simulate runs at the same rate', async () => {
    await button('Save').click();
    await expect.poll(() => status().textContent(), { timeout: 15_000 }).toMatch(/^saved /);
    const doc = parse(readFileSync(FILE, 'utf8')) as { populations: Record<string, unknown>; projections: Record<string, unknown> };
    expect(Object.keys(doc.populations)).toEqual(['exc', 'inh']);
    expect(Object.keys(doc.projections)).toEqual(['ee', 'ei', 'ie', 'ii']);
    expect(execFileSync(process.execPath, [FLUX, 'validate', FILE], { encoding: 'utf8' })).toMatch(
      /^ok .*2 populations \(4000 neurons\), 4 projections/,
    );
    const out = execFileSync(
      process.execPath,
      [FLUX, 'simulate', FILE, '--duration', '1s', '--quiet', '--backend', 'cpu', '--threads', '1', '--out', join(dir, 'rec.json')],
      {
        encoding: 'utf8',
      },
    );
    const hz = (pop: string) => Number(new RegExp(`^${pop}\\s+\\d+ spikes\\s+([\\d.]+) Hz`, 'm').exec(out)![1]);
    const simulated = (hz('exc') * 3200 + hz('inh') * 800) / 4000;
    const ideRate = (globalThis as { ideRate?: number }).ideRate!;
    console.log(`flux simulate on the saved file: ${simulated.toFixed(1)} Hz; in the IDE ${ideRate.toFixed(1)} Hz`);
    expect(simulated).toBeGreaterThanOrEqual(15);
    expect(simulated).toBeLessThanOrEqual(25);
    expect(Math.abs(simulated - ideRate) / simulated).toBeLessThan(0.2);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('a model defined in the page: a unit error shown at the value, fixed, then a population of it fires; a Poisson source added', async () => {
    await page.getByText('Every element: models, modulators, sources, inputs, outputs, modules, ports', { exact: true }).click();
    const el = group('element');
    await set(el, 'section', 'models');
    await set(el, 'name', 'leaky');
    // The form is the schema's: each field of a model by its document name. I_b is a current: added to
    // a voltage rate without /C, the units do not match.
    await set(el, 'parameters', '{ E_L: -70 mV, V_t: -50 mV, tau: 10 ms, I_b: 300 pA, C: 100 pF }');
    await set(el, 'equations', 'dv/dt = (E_L - v)/tau + I_b : volt');
    await set(el, 'threshold', 'v > V_t');
    await set(el, 'reset', 'v = E_L');
    await set(el, 'initial', '{ v: E_L }');
    await button('Add model').click();
    const problem = el.getByRole('alert', { name: 'equations: problem' });
    await expect.poll(() => problem.textContent(), { timeout: 15_000 }).toMatch(/cannot add volt\/second and amp/);
    console.log(`IDE: unit error shown at the field: ${await problem.textContent()}`);
    // The syntax help lists what the checker takes: the engine's symbols, functions and units.
    await page.getByText('Equations syntax', { exact: true }).click();
    const help = page.getByTestId('equations-help');
    await expect.poll(() => help.textContent(), { timeout: 10_000 }).toMatch(/exprel\(x\)/);
    expect(await help.textContent()).toMatch(/I_ext .*external current/);
    expect(await help.textContent()).toMatch(/Units: metre \(prefix, power\), .*kilogram \(power\), .*litre \(prefix\).*pA/);
    expect(await page.getByRole('combobox', { name: 'model' }).locator('option', { hasText: 'leaky' }).count()).toBe(0);
    await set(el, 'equations', 'dv/dt = (E_L - v)/tau + I_b/C : volt');
    await button('Add model').click();
    await expect.poll(() => status().textContent(), { timeout: 60_000 }).toBe('model leaky: done');
    expect(await problem.count()).toBe(0);
    // The model is one more choice of the population form.
    await expect.poll(() => page.getByRole('combobox', { name: 'model' }).locator('option', { hasText: 'leaky' }).count()).toBe(1);
    const pop = group('population');
    await set(pop, 'name', 'probe');
    await set(pop, 'model', 'leaky');
    await set(pop, 'size', '10');
    await set(pop, 'params', '');
    await set(pop, 'init', '');
    await button('Add population').click();
    await expect.poll(() => status().textContent(), { timeout: 15_000 }).toBe('applied: add population probe');
    // 300 pA into 100 pF with tau 10 ms: v settles at -40 mV, above V_t, so it fires regularly.
    await expect
      .poll(async () => parseFloat((await page.getByTestId('node-rate-probe').textContent()) ?? ''), { timeout: 15_000 })
      .toBeGreaterThan(10);
    // An existing element loads into the form to edit.
    await set(el, 'equations', '');
    await button('Load model').click();
    await expect.poll(() => el.getByLabel('equations', { exact: true }).inputValue()).toBe('dv/dt = (E_L - v)/tau + I_b/C : volt');
    await set(el, 'section', 'sources');
    await set(el, 'name', 'drive');
    await set(el, 'type', 'poisson');
    await set(el, 'target', 'exc');
    await set(el, 'rate', '5 Hz');
    await set(el, 'weight', '1 nS');
    // The source's synapse is a sub-form: its fields are named by their path.
    await set(el, 'synapse type', 'conductance');
    await set(el, 'synapse receptor', 'excitatory');
    await button('Add source').click();
    await expect.poll(() => status().textContent(), { timeout: 60_000 }).toBe('source drive: done');
    await button('Save').click();
    await expect.poll(() => status().textContent(), { timeout: 15_000 }).toMatch(/^saved /);
    const doc = parse(readFileSync(FILE, 'utf8')) as {
      models: Record<string, unknown>;
      sources: Record<string, unknown>;
      populations: Record<string, unknown>;
    };
    expect(Object.keys(doc.models)).toEqual(['leaky']);
    expect(Object.keys(doc.sources)).toEqual(['drive']);
    expect(Object.keys(doc.populations)).toEqual(['exc', 'inh', 'probe']);
    expect(execFileSync(process.execPath, [FLUX, 'validate', FILE], { encoding: 'utf8' })).toMatch(
      /^ok .*3 populations \(4010 neurons\), 4 projections/,
    );
    await shot(page, 'model');
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('New circuit makes an empty circuit beside the open one and switches to it; a path or a taken name is refused', async () => {
    const name = page.getByRole('textbox', { name: 'new circuit name', exact: true });
    await name.fill('../outside');
    await button('New circuit').click();
    await expect.poll(() => page.getByTestId('edit-error').textContent(), { timeout: 10_000 }).toMatch(/^name: letters, digits and _/);
    await name.fill('coba');
    await button('New circuit').click();
    await expect.poll(() => page.getByTestId('edit-error').textContent(), { timeout: 10_000 }).toMatch(/coba\.yaml exists already/);
    await name.fill('second');
    await button('New circuit').click();
    const second = join(dir, 'second.yaml');
    await expect.poll(() => status().textContent(), { timeout: 60_000 }).toBe(`new circuit ${second}`);
    await expect.poll(() => page.getByTestId('summary').textContent(), { timeout: 10_000 }).toBe('0 populations, 0 projections, 0 neurons');
    expect(parse(readFileSync(second, 'utf8'))).toEqual({ name: 'second', dt: '0.1 ms', populations: {} });
    // The first circuit stays as it was saved.
    expect(Object.keys((parse(readFileSync(FILE, 'utf8')) as { populations: object }).populations)).toEqual(['exc', 'inh', 'probe']);
    await steps.addPopulation('solo', 10);
    await button('Save').click();
    await expect.poll(() => status().textContent(), { timeout: 15_000 }).toMatch(/^saved .*second\.yaml/);
    expect(Object.keys((parse(readFileSync(second, 'utf8')) as { populations: object }).populations)).toEqual(['solo']);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it("sets a projection's rule, weight distribution and plasticity by sub-forms, edits its rule and a population's size, and adds a modulator with sources and targets", async () => {
    const el = group('element');
    await set(el, 'section', 'projections');
    await set(el, 'name', 'loop');
    await set(el, 'source', 'solo');
    await set(el, 'target', 'solo');
    // Every part of a projection is a sub-form of the schema's fields: the rule and its parameter, the
    // weight as a distribution, the synapse, the plasticity rule.
    await set(el, 'connectivity type', 'fixed_probability');
    await set(el, 'connectivity p', '0.5');
    await set(el, 'weight as', 'distribution');
    await set(el, 'weight normal mean', '2 nS');
    await set(el, 'weight normal sd', '0.5 nS');
    await set(el, 'synapse as', 'type, receptor');
    await set(el, 'synapse type', 'conductance');
    await set(el, 'synapse receptor', 'excitatory');
    for (const [k, v] of Object.entries({
      rule: 'stdp',
      w_max: '5 nS',
      a_plus: '0.01',
      a_minus: '0.0105',
      tau_plus: '20 ms',
      tau_minus: '20 ms',
    }))
      await set(el, `plasticity ${k}`, v);
    // A rule without its parameter: the checker's message at the sub-form, nothing built.
    await set(el, 'connectivity p', '');
    await button('Set projection').click();
    await expect.poll(() => el.getByRole('alert', { name: 'connectivity: problem' }).textContent(), { timeout: 15_000 }).toMatch(/\bp\b/);
    await set(el, 'connectivity p', '0.5');
    await button('Set projection').click();
    await expect.poll(() => status().textContent(), { timeout: 60_000 }).toBe('projection loop: done');
    await expect
      .poll(() => page.getByTestId('summary').textContent(), { timeout: 10_000 })
      .toBe('1 populations, 1 projections, 10 neurons');
    await page.getByRole('button', { name: 'projection loop', exact: true }).focus();
    await page.keyboard.press('Enter');
    const stats = page.getByTestId('weight-stats');
    await expect.poll(() => stats.textContent(), { timeout: 10_000 }).toMatch(/ synapses: .*\(nS\), plastic$/);
    const count = async () => Number(/^(\d+) synapses/.exec((await stats.textContent()) ?? '')?.[1]);
    const half = await count();
    // p = 0.5 over 10 × 10 pairs.
    expect(half).toBeGreaterThan(25);
    expect(half).toBeLessThan(75);
    // Edit the rule: load the projection, make it all-to-all, set it again.
    await set(el, 'connectivity type', '');
    await button('Load projection').click();
    await expect.poll(() => el.getByLabel('connectivity type', { exact: true }).inputValue()).toBe('fixed_probability');
    expect(await el.getByLabel('weight normal sd', { exact: true }).inputValue()).toBe('0.5 nS');
    expect(await el.getByLabel('plasticity rule', { exact: true }).inputValue()).toBe('stdp');
    await set(el, 'connectivity type', 'all_to_all');
    await set(el, 'connectivity p', '');
    await button('Set projection').click();
    await expect.poll(() => status().textContent(), { timeout: 60_000 }).toBe('projection loop: done');
    await page.getByRole('button', { name: 'projection loop', exact: true }).focus();
    await page.keyboard.press('Enter');
    // All to all within one population: every pair but a neuron with itself, 10 × 9.
    await expect.poll(count, { timeout: 10_000 }).toBe(90);
    await set(el, 'section', 'populations');
    await set(el, 'name', 'solo');
    await button('Load population').click();
    await expect.poll(() => el.getByLabel('size', { exact: true }).inputValue()).toBe('10');
    // Per-neuron values are a map of sub-forms, each named by its key: here tau_m, and a distribution of it.
    expect(await el.getByLabel('params tau_m', { exact: true }).inputValue()).toBe('20 ms');
    await button('Add to params').click();
    await set(el, 'params 11 as', 'distribution');
    await set(el, 'params 11 normal mean', '-50 mV');
    await set(el, 'params 11 normal sd', '1 mV');
    await set(el, 'params 11 name', 'v_thresh');
    await button('Set population').click();
    // v_thresh is there twice now: refused, named, nothing built.
    await expect.poll(() => page.getByTestId('edit-error').textContent(), { timeout: 15_000 }).toMatch(/params: "v_thresh" is named twice/);
    await button('Remove params 11').click();
    await set(el, 'size', '20');
    await button('Set population').click();
    await expect.poll(() => status().textContent(), { timeout: 60_000 }).toBe('population solo: done');
    await expect
      .poll(() => page.getByTestId('summary').textContent(), { timeout: 10_000 })
      .toBe('1 populations, 1 projections, 20 neurons');
    // Undo builds the document before the step back; redo the one after it.
    await button('Undo').click();
    await expect
      .poll(() => page.getByTestId('summary').textContent(), { timeout: 60_000 })
      .toBe('1 populations, 1 projections, 10 neurons');
    await expect.poll(() => status().textContent()).toBe('undone: populations.solo');
    await button('Redo').click();
    await expect
      .poll(() => page.getByTestId('summary').textContent(), { timeout: 60_000 })
      .toBe('1 populations, 1 projections, 20 neurons');
    // A modulator's sources and targets are lists of sub-forms, an item added by a button each.
    await set(el, 'section', 'modulators');
    await set(el, 'name', 'arousal');
    await set(el, 'tau', '100 ms');
    await button('Add to sources').click();
    await set(el, 'sources 1 population', 'solo');
    await set(el, 'sources 1 gain', '0.5');
    await button('Add to targets').click();
    await set(el, 'targets 1 population', 'solo');
    await set(el, 'targets 1 effect', 'excitability');
    await set(el, 'targets 1 sensitivity', '10');
    await button('Add modulator').click();
    await expect.poll(() => status().textContent(), { timeout: 60_000 }).toBe('modulator arousal: done');
    await set(el, 'tau', '');
    await button('Remove sources 1').click();
    await expect.poll(() => el.getByLabel('sources 1 population', { exact: true }).count()).toBe(0);
    await button('Load modulator').click();
    await expect.poll(() => el.getByLabel('sources 1 population', { exact: true }).inputValue()).toBe('solo');
    expect(await el.getByLabel('targets 1 effect', { exact: true }).inputValue()).toBe('excitability');
    expect(await el.getByLabel('tau', { exact: true }).inputValue()).toBe('100 ms');
    await shot(page, 'subforms');
    await button('Save').click();
    await expect.poll(() => status().textContent(), { timeout: 15_000 }).toMatch(/^saved .*second\.yaml/);
    const saved = parse(readFileSync(join(dir, 'second.yaml'), 'utf8')) as {
      projections: Record<string, unknown>;
      modulators: Record<string, unknown>;
    };
    expect(saved.modulators.arousal).toEqual({
      tau: '100 ms',
      sources: [{ population: 'solo', gain: 0.5 }],
      targets: [{ population: 'solo', effect: 'excitability', sensitivity: 10 }],
    });
    expect(saved.projections.loop).toMatchObject({
      connectivity: { type: 'all_to_all' },
      weight: { normal: { mean: '2 nS', sd: '0.5 nS' } },
    });
    expect(pageErrors).toEqual([]);
  }, 240_000);

  it('includes a circuit file as a module with an override, edits it and one of its elements, names a port; a file outside the folder is refused', async () => {
    const el = group('element');
    const outside = tempDir('flux-ide-outside-');
    writeFileSync(join(outside, 'secret.yaml'), 'name: secret\npopulations:\n  cells: { model: lif, size: 4 }\n');
    writeFileSync(join(dir, 'leg.yaml'), '# a leg\nname: leg\npopulations:\n  cells: { model: lif, size: 4 }\nports:\n  motor: cells\n');
    await set(el, 'section', 'modules');
    await set(el, 'name', 'leg');
    await set(el, 'module', join(outside, 'secret.yaml'));
    await button('Set module').click();
    await expect
      .poll(() => page.getByTestId('edit-error').textContent(), { timeout: 15_000 })
      .toMatch(/is no circuit file in this circuit's folder/);
    await set(el, 'module', './leg.yaml');
    // The override is the module document's merge patch, as YAML.
    await set(el, 'override', '{ populations: { cells: { size: 6 } } }');
    await button('Set module').click();
    await expect.poll(() => status().textContent(), { timeout: 60_000 }).toBe('module leg: done');
    await expect
      .poll(() => page.getByTestId('summary').textContent(), { timeout: 10_000 })
      .toBe('2 populations, 1 projections, 26 neurons');
    await set(el, 'override', '');
    await button('Load module').click();
    await expect.poll(() => el.getByLabel('override', { exact: true }).inputValue()).toBe('{"populations":{"cells":{"size":6}}}');
    await set(el, 'override', '{ populations: { cells: { size: 8 } } }');
    await button('Set module').click();
    await expect
      .poll(() => page.getByTestId('summary').textContent(), { timeout: 60_000 })
      .toBe('2 populations, 1 projections, 28 neurons');
    await set(el, 'section', 'ports');
    await set(el, 'name', 'drive');
    await set(el, 'population', 'leg.motor');
    await button('Add port').click();
    await expect.poll(() => status().textContent(), { timeout: 60_000 }).toBe('port drive: done');
    // Modules and ports are written to the file at once; undo writes it back, redo again.
    const ports = () => (parse(readFileSync(join(dir, 'second.yaml'), 'utf8')) as { ports?: unknown }).ports;
    expect(ports()).toEqual({ drive: 'leg.motor' });
    // Undo writes the file back only while it is what the step wrote: changed since, undo is refused.
    const written = readFileSync(join(dir, 'second.yaml'), 'utf8');
    writeFileSync(join(dir, 'second.yaml'), written + '# touched by hand\n');
    await button('Undo').click();
    await expect
      .poll(() => page.getByTestId('edit-error').textContent(), { timeout: 15_000 })
      .toMatch(/writes the circuit file, which has changed since/);
    expect(readFileSync(join(dir, 'second.yaml'), 'utf8')).toMatch(/# touched by hand\n$/);
    writeFileSync(join(dir, 'second.yaml'), written);
    await button('Undo').click();
    await expect.poll(() => status().textContent(), { timeout: 60_000 }).toBe('undone: ports.drive');
    expect(ports()).toBeUndefined();
    await button('Redo').click();
    await expect.poll(ports, { timeout: 60_000 }).toEqual({ drive: 'leg.motor' });
    // An element of the module, by its qualified name: saved as the include's override.
    await set(el, 'section', 'populations');
    await set(el, 'name', 'leg.cells');
    await button('Load population').click();
    await expect.poll(() => el.getByLabel('size', { exact: true }).inputValue()).toBe('8');
    await set(el, 'size', '10');
    await button('Set population').click();
    await expect.poll(() => status().textContent(), { timeout: 60_000 }).toBe('population leg.cells: done');
    await expect
      .poll(() => page.getByTestId('summary').textContent(), { timeout: 10_000 })
      .toBe('2 populations, 1 projections, 30 neurons');
    await button('Save').click();
    await expect.poll(() => status().textContent(), { timeout: 15_000 }).toMatch(/^saved .*second\.yaml/);
    const saved = parse(readFileSync(join(dir, 'second.yaml'), 'utf8')) as { include: unknown[]; ports: Record<string, string> };
    expect(saved.include).toEqual([{ module: './leg.yaml', prefix: 'leg', override: { populations: { cells: { size: 10 } } } }]);
    expect(saved.ports).toEqual({ drive: 'leg.motor' });
    expect(execFileSync(process.execPath, [FLUX, 'validate', join(dir, 'second.yaml')], { encoding: 'utf8' })).toMatch(
      /^ok .*2 populations \(30 neurons\)/,
    );
    // The module's file is untouched: the override lives in the circuit that includes it.
    expect(readFileSync(join(dir, 'leg.yaml'), 'utf8')).toMatch(/^# a leg\n/);
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
