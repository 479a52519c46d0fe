// The IDE next to the simulated robot: `flux edit --sim` on a circuit file that does not exist yet, and
// Debian's Chromium (headless, playwright-core) driven only by roles and accessible names. It builds
// the Braitenberg obstacle avoider from scratch (six populations, seven conductance projections, two
// Poisson drives, three named inputs), binds its inputs to the robot's /scan (a topic picked from the
// live graph, its type from the graph, the field path from the message definition) and its motor
// populations to /cmd_vel, then watches the robot drive 30 s of simulated time without a collision.
// Save writes the circuit and the bridge document, which `flux validate` accepts and `flux run --sim`
// drives again without a collision.
import { chromiumSuitesRun } from '../tools/chromium.js';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parse } from 'yaml';
import { tempDir } from './helpers.js';
import { requires } from './requirements.js';
import { holdLock } from './fixtures/hold-lock.js';
import {
  CHROMIUM,
  openPage,
  exported as exportedFrom,
  FLUX,
  controls,
  set,
  shot,
  startEdit,
  statusIs,
  type FluxEdit,
} from './fixtures/ide-page.js';

const runBrowser = chromiumSuitesRun();
if (!runBrowser) requires('chromium', `${CHROMIUM} not found`);

const dir = tempDir('flux-ide-robot-');
const FILE = join(dir, 'avoider.yaml');
const BRIDGE = join(dir, 'avoider.bridge.yaml');

let flux: FluxEdit;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const SENSOR = 'tau_refrac: 2 ms';
const MOTOR = 'tau_refrac: 2 ms\ntau_syn_exc: 5 ms\ntau_syn_inh: 10 ms';
// The controller of library/braitenberg: each side's sensor excites its own motor and inhibits the
// other; the front sensor turns right and brakes.
const PROJECTIONS: [string, string, string, string, 'excitatory' | 'inhibitory'][] = [
  ['left_excites_left', 'sensor_left', 'motor_left', '6 nS', 'excitatory'],
  ['right_excites_right', 'sensor_right', 'motor_right', '6 nS', 'excitatory'],
  ['left_inhibits_right', 'sensor_left', 'motor_right', '10 nS', 'inhibitory'],
  ['right_inhibits_left', 'sensor_right', 'motor_left', '10 nS', 'inhibitory'],
  ['front_excites_left', 'sensor_front', 'motor_left', '12 nS', 'excitatory'],
  ['front_inhibits_right', 'sensor_front', 'motor_right', '20 nS', 'inhibitory'],
  ['front_brakes', 'sensor_front', 'brake', '6 nS', 'excitatory'],
];
// Beams of the simulated 360-beam lidar (angle_min -pi, one per degree): left, right, ahead.
const SCANS: [string, string, string][] = [
  ['range_left', 'ranges[200:290]', '{ current: { min: 1.0, max: 0.15, current_max: 1 } }'],
  ['range_right', 'ranges[70:160]', '{ current: { min: 1.0, max: 0.15, current_max: 1 } }'],
  ['range_front', 'ranges[150:210]', '{ current: { min: 0.8, max: 0.2, current_max: 1 } }'],
];
const RATE = (tau: string) => `decoder: { rate: { tau: ${tau}, rate_max: 100 Hz, min: 0, max: 1 } }`;

/** The robot as the page shows it: simulated time, distance driven, collisions. */
async function robot(): Promise<{ t: number; driven: number; collisions: number }> {
  const text = (await page.getByRole('status', { name: 'robot' }).textContent()) ?? '';
  const m = /t = ([\d.]+) s.*driven ([\d.]+) m, collisions (\d+)/.exec(text);
  if (!m) return { t: NaN, driven: NaN, collisions: NaN };
  return { t: Number(m[1]), driven: Number(m[2]), collisions: Number(m[3]) };
}

describe.runIf(runBrowser)('the IDE binds a circuit built from scratch to the simulated robot', () => {
  holdLock();
  beforeAll(async () => {
    flux = await startEdit([FILE, '--sim', 'default', '--dashboard', '127.0.0.1:0', '--backend', 'cpu', '--threads', '1'], dir);
    ({ browser, page } = await openPage(1300, pageErrors));
  }, 660_000);

  afterAll(async () => {
    if (process.env.FLUX_IDE_LOG) console.log(flux?.out.join(''), pageErrors);
    await browser?.close();
    await flux?.stop();
  });

  it('builds the Braitenberg controller from an empty page', async () => {
    const { group, button } = controls(page);
    await page.goto(flux.url);
    await expect.poll(() => page.getByTestId('connection').textContent(), { timeout: 10_000 }).toBe('live');
    // Next to a robot, the simulator's lockstep runs the clock: the page offers no run control.
    expect(await page.getByRole('toolbar', { name: 'run control' }).count()).toBe(0);
    await expect.poll(async () => (await robot()).t, { timeout: 15_000 }).toBeGreaterThan(0);
    for (const [name, params] of [
      ['sensor_left', SENSOR],
      ['sensor_right', SENSOR],
      ['sensor_front', SENSOR],
      ['motor_left', MOTOR],
      ['motor_right', MOTOR],
      ['brake', MOTOR],
    ]) {
      const pop = group('population');
      await set(pop, 'name', name);
      await set(pop, 'model', 'lif');
      await set(pop, 'size', '20');
      await set(pop, 'params', params);
      await set(pop, 'init', '');
      await button('Add population').click();
      await statusIs(page, `applied: add population ${name}`);
    }
    await page.getByText('New projection', { exact: true }).click();
    for (const [name, source, target, weight, receptor] of PROJECTIONS) {
      await set(group('projection'), 'name', name);
      await set(group('projection'), 'source', source);
      await set(group('projection'), 'target', target);
      await set(group('connectivity'), 'type', 'fixed_indegree');
      await set(group('connectivity'), 'n', '10');
      await set(group('transmission'), 'weight', weight);
      await set(group('synapse'), 'type', 'conductance');
      await set(group('synapse'), 'receptor', receptor);
      await button('Add projection').click();
      await statusIs(page, `applied: add projection ${name}`);
    }
    await page.getByText('Every element: models, modulators, sources, inputs, outputs, modules, ports', { exact: true }).click();
    const el = group('element');
    for (const side of ['left', 'right']) {
      await set(el, 'section', 'sources');
      await set(el, 'name', `tonic_${side}`);
      await set(el, 'type', 'poisson');
      await set(el, 'target', `motor_${side}`);
      await set(el, 'rate', '1000 Hz');
      await set(el, 'weight', '2 nS');
      await set(el, 'synapse type', 'conductance');
      await set(el, 'synapse receptor', 'excitatory');
      await button('Add source').click();
      await statusIs(page, `source tonic_${side}: done`, 60_000);
    }
    for (const side of ['left', 'right', 'front']) {
      await set(el, 'section', 'inputs');
      await set(el, 'name', `range_${side}`);
      await set(el, 'target', `sensor_${side}`);
      await set(el, 'mode', 'current');
      await set(el, 'gain', '1000');
      await button('Add input').click();
      await statusIs(page, `input range_${side}: done`, 60_000);
    }
    await expect.poll(() => page.getByTestId('summary').textContent()).toBe('6 populations, 7 projections, 120 neurons');
  }, 300_000);

  it('binds the inputs to /scan from the live graph, with field completion; a bad path is shown at its field', async () => {
    const { group, button } = controls(page);
    await page.getByText('Bind an input to a topic', { exact: true }).click();
    const b = group('input binding');
    // The live graph lists the simulator's topics with their types.
    const scan = page.locator('#bind-topics option[value="/scan"]');
    await expect.poll(() => scan.textContent(), { timeout: 10_000 }).toBe('sensor_msgs/msg/LaserScan');
    await set(b, 'name', 'range_left');
    await set(b, 'topic', 'scan');
    // Picking a topic the graph knows brings its type, and the type its fields for completion.
    expect(await b.getByLabel('type', { exact: true }).inputValue()).toBe('sensor_msgs/msg/LaserScan');
    await expect
      .poll(() => page.locator('#bind-in-fields option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)), {
        timeout: 10_000,
      })
      .toContain('ranges[0:10]');
    await set(b, 'path', 'rangs[200:290]');
    await set(b, 'encoder', SCANS[0][2]);
    await set(b, 'timeout', '200 ms');
    await set(b, 'valid', '[0, 100]');
    await button('Bind input').click();
    const problem = b.getByRole('alert', { name: 'path: problem' });
    await expect.poll(() => problem.textContent(), { timeout: 15_000 }).toMatch(/has no field "rangs"/);
    console.log(`IDE: a bad field path refused at the field: ${await problem.textContent()}`);
    for (const [name, path, encoder] of SCANS) {
      await set(b, 'name', name);
      await set(b, 'topic', 'scan');
      await set(b, 'path', path);
      await set(b, 'qos', 'sensor');
      await set(b, 'encoder', encoder);
      await set(b, 'timeout', '200 ms');
      await set(b, 'valid', '[0, 100]');
      await button('Bind input').click();
      await statusIs(page, `bind input ${name}: done`, 60_000);
    }
    expect(await problem.count()).toBe(0);
    // A binding is a step of the history: undo builds the bridge without it, redo with it again.
    const bindings = page.getByRole('list', { name: 'bindings' });
    const front = bindings.getByText('range_front', { exact: true });
    // The list reads the bridge document again after the binding: it may still be on its way.
    await expect.poll(() => front.count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => button('Undo').textContent(), { timeout: 10_000 }).toBe('Undo: bind inputs.range_front');
    await button('Undo').click();
    await statusIs(page, 'undone: bind inputs.range_front', 60_000);
    await expect.poll(() => front.count(), { timeout: 10_000 }).toBe(0);
    await button('Redo').click();
    await expect.poll(() => front.count(), { timeout: 60_000 }).toBe(1);
  }, 240_000);

  it('binds the motors to /cmd_vel; the robot drives 30 s of simulated time without a collision', async () => {
    const { group, button } = controls(page);
    await page.getByText('Bind an output to message fields', { exact: true }).click();
    const o = group('output binding');
    await set(o, 'name', 'cmd_vel');
    await set(o, 'topic', 'cmd_vel');
    expect(await o.getByLabel('type', { exact: true }).inputValue()).toBe('geometry_msgs/msg/Twist');
    await set(o, 'rate', '50 Hz');
    const v1 = group('value 1');
    await set(v1, 'field', 'linear.x');
    await set(
      v1,
      'terms',
      `- { population: motor_left, ${RATE('100 ms')}, weight: 0.3 }\n- { population: motor_right, ${RATE('100 ms')}, weight: 0.3 }\n- { population: brake, ${RATE('50 ms')}, weight: -1 }`,
    );
    await set(v1, 'min', '-0.05');
    await set(v1, 'max', '0.35');
    await set(v1, 'slew_rate', '2');
    await set(v1, 'safe', '0');
    await button('Add value').click();
    const v2 = group('value 2');
    await set(v2, 'field', 'angular.z');
    await set(
      v2,
      'terms',
      `- { population: motor_right, ${RATE('100 ms')}, weight: 4 }\n- { population: motor_left, ${RATE('100 ms')}, weight: -4 }`,
    );
    await set(v2, 'min', '-1.5');
    await set(v2, 'max', '1.5');
    await set(v2, 'slew_rate', '10');
    await set(v2, 'safe', '0');
    await button('Bind output').click();
    await statusIs(page, 'bind output cmd_vel: done', 60_000);
    const start = await robot();
    expect(start.collisions).toBe(0);
    await expect.poll(async () => (await robot()).t, { timeout: 180_000, interval: 1000 }).toBeGreaterThan(start.t + 30);
    const end = await robot();
    console.log(
      `IDE: the controller built in the page drove ${(end.driven - start.driven).toFixed(2)} m in ${(end.t - start.t).toFixed(1)} s of simulated time, ${end.collisions} collisions`,
    );
    expect(end.collisions).toBe(0);
    expect(end.driven - start.driven).toBeGreaterThan(2);
    // The robot view exports as the others do: its SVG from the data, its trail as CSV.
    const exported = (name: string) => exportedFrom(page, name);
    const svg = (await exported('Export robot view as SVG')).toString();
    expect(svg).toMatch(/^<svg[^]*<polyline points="[^"]+"[^]*<circle /);
    const trail = (await exported('Export robot view as CSV')).toString().trim().split('\n');
    expect(trail[0]).toBe('t_s,x_m,y_m');
    // 30 s of driving leaves a trail of many rows, each a finite time and position.
    expect(trail.length).toBeGreaterThan(30);
    expect(trail.slice(1).every((row) => row.split(',').length === 3 && row.split(',').every((x) => Number.isFinite(Number(x))))).toBe(
      true,
    );
    expect((await exported('Export robot view as PNG')).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    await shot(page, 'robot');
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it('saves the circuit and the bindings together; flux validate accepts them and flux run drives them again', async () => {
    expect(existsSync(BRIDGE)).toBe(false);
    const { group, button } = controls(page);
    // A bound output loads back into its form; changed and bound again, the rest of it is kept.
    await set(group('output binding'), 'name', 'cmd_vel');
    await set(group('value 1'), 'max', '');
    await button('Load output').click();
    await expect.poll(() => group('value 1').getByLabel('max', { exact: true }).inputValue()).toBe('0.35');
    expect(await group('value 2').getByLabel('field', { exact: true }).inputValue()).toBe('angular.z');
    await set(group('value 1'), 'max', '0.3');
    await button('Bind output').click();
    await statusIs(page, 'bind output cmd_vel: done', 60_000);
    await button('Save').click();
    await statusIs(page, /^saved .* and the bindings to .*avoider\.bridge\.yaml$/, 15_000);
    const bridge = parse(readFileSync(BRIDGE, 'utf8')) as {
      circuit: string;
      inputs: Record<string, unknown>;
      outputs: Record<string, unknown>;
    };
    expect(bridge.circuit).toBe('./avoider.yaml');
    expect(Object.keys(bridge.inputs)).toEqual(['range_left', 'range_right', 'range_front']);
    expect(Object.keys(bridge.outputs)).toEqual(['cmd_vel']);
    const cmd = bridge.outputs.cmd_vel as { rate: string; values: Record<string, { limits: { max: number; slew_rate: number } }> };
    expect(cmd.rate).toBe('50 Hz');
    expect(cmd.values['linear.x'].limits).toMatchObject({ max: 0.3, slew_rate: 2 });
    expect(cmd.values['angular.z'].limits).toMatchObject({ max: 1.5, slew_rate: 10 });
    expect(execFileSync(process.execPath, [FLUX, 'validate', FILE, BRIDGE], { encoding: 'utf8' })).toMatch(
      /^ok .*6 populations \(120 neurons\), 7 projections/,
    );
    const out = execFileSync(
      process.execPath,
      [
        FLUX,
        'run',
        BRIDGE,
        '--sim',
        'default',
        '--paced',
        '0',
        '--duration',
        '30s',
        '--status',
        '0',
        '--no-dashboard',
        '--backend',
        'cpu',
        '--threads',
        '1',
        '--plot',
        join(dir, 'trail.svg'),
      ],
      { encoding: 'utf8', timeout: 240_000 },
    );
    const m = /flux: done: ([\d.]+) s simulated, ([\d.]+) m driven, (\d+) collisions/.exec(out);
    expect(m, out).not.toBeNull();
    console.log(`flux run on the saved documents: ${m![0]}`);
    expect(Number(m![3])).toBe(0);
    expect(Number(m![2])).toBeGreaterThan(2);
  }, 300_000);
});
