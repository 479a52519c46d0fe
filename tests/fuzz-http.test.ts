// Property-based fuzzing of the dashboard's entry points (issue 16, section 3) against a real server on
// loopback (port 0) in front of a small running node (memory transport, CPU backend): arbitrary raw
// requests (request line, method, target, headers, with and without Upgrade), arbitrary JSON bodies to
// /api/edit (hostile edits among them), and arbitrary WebSocket messages. Properties: every request gets
// a status or a closed socket, never a 5xx; the process survives; the engine's state stays finite; the
// running document stays savable.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { WebSocket } from 'ws';
import { FluxNode } from '../bridge/node/node.js';
import { startDashboard, type Dashboard } from '../ui/server.js';
import { planSave } from '../ui/save.js';
import { loadBridge } from '../bridge/config.js';
import { MODELS } from '../engine/models/registry.js';
import { example, tempDir, libraryCircuit } from './helpers.js';
import { runs, judgeAsync, hasNonFinite, countNonFinite, flushTallies } from './fuzz.js';

const dir = tempDir('flux-fuzz-http-');
const CIRCUIT = join(dir, 'circuit.yaml');
writeFileSync(
  CIRCUIT,
  readFileSync(libraryCircuit('braitenberg/braitenberg'), 'utf8').replace('$schema: ../../schema/circuit.schema.json', ''),
);
const ORIGINAL = readFileSync(CIRCUIT, 'utf8');
const BRIDGE = join(dir, 'bridge.yaml');
writeFileSync(BRIDGE, readFileSync(example('bridges/braitenberg.yaml'), 'utf8').replace(/^circuit: .*$/m, 'circuit: ./circuit.yaml'));
// A module the page may include (beside the circuit), and files it must not reach: one outside the
// circuit's folder and a link inside it that points there.
writeFileSync(join(dir, 'part.yaml'), 'name: part\npopulations:\n  cells: { model: lif, size: 4 }\n');
const outside = tempDir('flux-fuzz-outside-');
writeFileSync(join(outside, 'secret.yaml'), 'name: secret\npopulations:\n  cells: { model: lif, size: 4 }\n');
symlinkSync(join(outside, 'secret.yaml'), join(dir, 'link.yaml'));
// Ports a request may name for a device: files that are no serial device (directly, through a link,
// a character device that is no serial port), a relative path, and a serial node that is not there.
symlinkSync('/etc/hostname', join(dir, 'ttyFAKE'));
const DEVICE_PATHS = [
  '/etc/hostname',
  join(dir, 'ttyFAKE'),
  '/dev/null',
  '/dev/zero',
  'dev/ttyS0',
  '/dev/../etc/hostname',
  '/dev/ttyFLUXNONE0',
];
const MODULE_SPECS = [
  './part.yaml',
  'part.yaml',
  './link.yaml',
  `../${relative(dirname(dir), outside)}/secret.yaml`,
  join(outside, 'secret.yaml'),
  'nope/x',
  '@nope/x/y',
  '.',
  '..',
  '',
];

let node: FluxNode;
let dash: Dashboard;

/** The final status line, after any interim 1xx responses (found by the campaign: Expect: 100-continue). */
const FINAL = /^(?:HTTP\/1\.[01] 1\d\d [^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n)*HTTP\/1\.[01] ([2-9]\d\d) /;
const INTERIM = /^HTTP\/1\.[01] 1\d\d /;

/** What a raw exchange got back: the status line's code, or null when the server closed without one. */
class NoAnswer extends Error {}

/** Sends `text` and half-closes; resolves with the status code, or null when the server just closed. */
function rawExchange(text: string | Buffer, ms = 3000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    let got = '';
    const s = connect(dash.port, '127.0.0.1', () => s.end(text));
    const timer = setTimeout(() => {
      s.destroy();
      reject(new NoAnswer(`no answer and no close in ${ms} ms (got ${JSON.stringify(got.slice(0, 80))})`));
    }, ms);
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      if (got === '') return resolve(null);
      const m = FINAL.exec(got);
      if (m) resolve(Number(m[1]));
      else if (INTERIM.test(got))
        resolve(null); // "100 Continue", then closed before the final answer
      else reject(new Error(`not an HTTP answer: ${JSON.stringify(got.slice(0, 80))}`));
    };
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      // One final answer is enough (after any interim 1xx, e.g. 100 Continue for Expect: 100-continue).
      if (FINAL.test(got)) done();
    });
    s.on('close', done);
    s.on('error', () => done());
  });
}

function postJson(path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: dash.port,
        path,
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Flux-Token': dash.token!, 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The circuit as it was at the start, in its file and running: the edit fuzz before may have removed
 * the populations the plausible elements and bindings name, which would leave none of them accepted.
 */
async function restoreCircuit(): Promise<void> {
  writeFileSync(CIRCUIT, ORIGINAL);
  await node.reloadCircuit();
}

/** Paths of the numbers in `x` that are not finite (a limit of Infinity would hold nothing). */
function nonFiniteIn(x: unknown, path = '', out: string[] = []): string[] {
  if (typeof x === 'number' && !Number.isFinite(x)) out.push(path);
  else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) nonFiniteIn(v, `${path}/${k}`, out);
  return out;
}

async function alive(): Promise<boolean> {
  const r = await fetch(`http://127.0.0.1:${dash.port}/api/status`, { headers: { 'X-Flux-Token': dash.token! } });
  return r.status === 200 && typeof ((await r.json()) as { step?: unknown }).step === 'number';
}

/** Every state variable of every population that has one, read from the running engine. */
async function engineState(): Promise<Float64Array[]> {
  const e = node.engine;
  const out: Float64Array[] = [];
  for (const p of e.circuit.populations) {
    const model = Object.hasOwn(MODELS, p.model) ? MODELS[p.model as keyof typeof MODELS] : undefined;
    const vars = (model as { state?: Record<string, unknown> } | undefined)?.state;
    for (const v of vars ? Object.keys(vars) : ['v']) {
      try {
        out.push(Float64Array.from(await e.backend.readState(p.name, v)));
      } catch {
        // a model without this variable
      }
    }
  }
  return out;
}

const NASTY_TARGETS = [
  '//',
  '//a:b/ws',
  'http://[/ws',
  '/\\',
  '/\\\\',
  '*',
  '/ws',
  '/api/edit',
  '/api/../../etc/passwd',
  '/app/../../package.json',
  '/%00',
  '/%zz',
  '/?token=%',
  '/vendor/preact/../../../etc/passwd',
  'http://127.0.0.1/api/status',
  '/api/status?__proto__[x]=1',
  '/' + 'a'.repeat(9000),
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'PRI', 'get', ''];

const token = () => dash.token!;
const headerArb = fc.oneof(
  fc.tuple(
    fc.constantFrom(
      'Host',
      'Origin',
      'Content-Type',
      'Content-Length',
      'Transfer-Encoding',
      'Upgrade',
      'Connection',
      'Cookie',
      'Authorization',
      'X-Flux-Token',
      'Sec-WebSocket-Key',
      'Sec-WebSocket-Version',
      'Expect',
    ),
    fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        'websocket',
        'Upgrade',
        'chunked',
        '-1',
        '99999999999999999999',
        'application/json',
        '100-continue',
        'http://evil.example',
        '127.0.0.1',
        'TOKEN',
      ),
    ),
  ),
  fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 })),
);
const PATHS = [
  '/',
  '/api/status',
  '/api/circuit',
  '/api/packages',
  '/api/extensions',
  '/api/edit',
  '/api/undo',
  '/api/save',
  '/api/insert',
  '/api/redo',
  '/api/run',
  '/api/element',
  '/ws',
  '/app/main.js',
  '/vendor/htm/dist/htm.mjs',
  '/api/nope',
];
/** Half the requests well formed (a real method, path and version, the right Host), so the handlers behind the parser are reached. */
const rawRequestArb = fc.oneof(
  fc.record({
    method: fc.oneof(fc.constantFrom(...METHODS), fc.string({ maxLength: 12 })),
    target: fc.oneof(
      fc.constantFrom(...NASTY_TARGETS),
      fc.string({ maxLength: 60 }).map((s) => '/' + s),
      fc.string({ maxLength: 60 }),
    ),
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 x', ''),
    upgrade: fc.boolean(),
    host: fc.boolean(),
    headers: fc.array(headerArb, { maxLength: 6 }),
    body: fc.oneof(fc.constant(''), fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 })),
  }),
  fc.record({
    method: fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS'),
    target: fc.oneof(
      fc.constantFrom(...PATHS),
      fc.tuple(fc.constantFrom(...PATHS), fc.string({ maxLength: 30 })).map(([p, q]) => `${p}?${encodeURIComponent(q)}`),
    ),
    version: fc.constant('HTTP/1.1'),
    upgrade: fc.boolean(),
    host: fc.constant(true),
    headers: fc.array(headerArb, { maxLength: 3 }),
    body: fc.oneof(fc.constant(''), fc.json({ maxDepth: 3 })),
  }),
);

const INHERITED = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'valueOf'];
const valueArb = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    '1e400 ms',
    '-1e400 pA',
    'NaN',
    '.nan',
    'Infinity',
    '1e-320 ms',
    '3.5e38 nS',
    '5 ms',
    '10 pA',
    '2 nS',
    '',
    ' ms',
    '1e308 pF',
    null,
    true,
    [],
    {},
  ),
  fc.string({ maxLength: 20 }),
);
const nameArb = fc.oneof(
  fc.constantFrom('brake', 'sensor_left', 'motor_left', 'front_brakes', 'fresh', 'm.fresh', ...INHERITED),
  fc.string({ maxLength: 12 }),
);
const hostileEditArb = fc.oneof(
  fc.record({
    op: fc.constant('set_param'),
    population: nameArb,
    param: fc.oneof(fc.constantFrom('tau_m', 'i_offset', 'v_thresh', 'cm', ...INHERITED), fc.string({ maxLength: 10 })),
    value: valueArb,
  }),
  fc.record({ op: fc.constant('set_weights'), projection: nameArb, value: valueArb }),
  fc.record({
    op: fc.constant('set_weights'),
    projection: nameArb,
    indices: fc.array(fc.oneof(fc.integer(), fc.double(), fc.constant(-1), fc.constant(2 ** 32)), { maxLength: 20 }),
    values: fc.array(valueArb, { maxLength: 20 }),
  }),
  fc.record({
    op: fc.constant('add_population'),
    name: nameArb,
    population: fc.record(
      {
        model: fc.constantFrom('lif', 'izhikevich', 'poisson', '__proto__', 'nope'),
        size: fc.oneof(fc.constantFrom(1, 5, 0, -1, 1.5, 1e7, 2e9, 1e300), fc.string({ maxLength: 5 })),
        params: fc.dictionary(fc.oneof(fc.constantFrom('tau_m', 'i_offset', ...INHERITED), fc.string({ maxLength: 6 })), valueArb, {
          maxKeys: 3,
        }),
      },
      { requiredKeys: ['model'] },
    ),
  }),
  fc.record({
    op: fc.constant('add_projection'),
    name: nameArb,
    projection: fc.record({
      source: nameArb,
      target: nameArb,
      connectivity: fc.oneof(
        fc.constant({ type: 'all_to_all' }),
        fc.record({ type: fc.constant('fixed_probability'), p: fc.oneof(fc.double(), fc.constantFrom(1e-300, 1e-17, 0.5)) }),
        fc.record({
          type: fc.constantFrom('fixed_indegree', 'fixed_outdegree', 'fixed_total_number'),
          n: fc.oneof(fc.integer(), fc.constantFrom(1e9, 2 ** 31, 2 ** 32 - 1, 1e12)),
        }),
        fc.constant({ type: 'nope' }),
      ),
      weight: valueArb,
      synapse: fc.record({
        type: fc.constantFrom('current', 'conductance', 'x'),
        receptor: fc.constantFrom('excitatory', 'inhibitory', '__proto__'),
      }),
    }),
  }),
  fc.record({ op: fc.constantFrom('remove_population', 'remove_projection'), name: nameArb, cascade: fc.boolean() }),
  fc.record({ op: fc.oneof(fc.constantFrom('bogus', '__proto__', 'constructor', 'apply', ''), fc.string({ maxLength: 10 })) }),
);
/** Edits the engine should take (so the properties look at accepted edits too), and their neighbours. */
const plausibleEditArb = fc.oneof(
  fc.record({
    op: fc.constant('set_param'),
    population: fc.constantFrom('brake', 'motor_left', 'motor_right'),
    param: fc.constantFrom('tau_m', 'i_offset', 'tau_refrac', 'v_thresh'),
    value: fc.oneof(
      fc.double({ min: 0.5, max: 50, noNaN: true }).map((v) => `${v} ms`),
      fc.double({ min: -200, max: 200, noNaN: true }).map((v) => `${v} pA`),
      fc.constantFrom('-50 mV', '-55 mV', '1e400 ms', '0 ms'),
    ),
  }),
  fc.record({
    op: fc.constant('set_weights'),
    projection: fc.constantFrom('front_brakes'),
    value: fc.oneof(
      fc.double({ min: 0, max: 20, noNaN: true }).map((v) => `${v} nS`),
      fc.constantFrom('-1 nS', '3.5e38 nS'),
    ),
  }),
  fc.record({
    op: fc.constant('add_population'),
    name: fc.constantFrom('extra_a', 'extra_b', 'toString', 'valueOf'),
    population: fc.record({ model: fc.constantFrom('lif', 'izhikevich', 'poisson'), size: fc.integer({ min: 1, max: 600 }) }),
  }),
  fc.record({
    op: fc.constant('add_projection'),
    name: fc.constantFrom('extra_p', 'hasOwnProperty'),
    projection: fc.record({
      source: fc.constantFrom('brake', 'extra_a', 'toString'),
      target: fc.constantFrom('motor_left', 'extra_b', 'valueOf'),
      connectivity: fc.constantFrom({ type: 'all_to_all' }, { type: 'fixed_probability', p: 1e-300 }, { type: 'one_to_one' }),
      weight: fc.constantFrom('1 nS', '2 pA'),
      synapse: fc.constantFrom({ type: 'conductance', receptor: 'excitatory' }, { type: 'current', receptor: 'inhibitory' }),
    }),
  }),
  fc.record({
    op: fc.constantFrom('remove_population', 'remove_projection'),
    name: fc.constantFrom('extra_a', 'extra_b', 'extra_p', 'toString', 'valueOf', 'hasOwnProperty', 'brake'),
    cascade: fc.boolean(),
  }),
);
/** Bodies as text: plausible and hostile edits, any JSON, a raw "__proto__" key, and broken JSON. */
const editBodyArb = fc.oneof(
  plausibleEditArb.map((e) => JSON.stringify(e)),
  plausibleEditArb.map((e) => JSON.stringify(e)),
  hostileEditArb.map((e) => JSON.stringify(e)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  hostileEditArb.map((e) => JSON.stringify(e).replace(/^\{/, '{"__proto__":{"op":"remove_population","name":"brake","cascade":true},')),
  fc.string({ maxLength: 100 }),
  fc.constantFrom(
    '{"op":"set_param","population":"brake","param":"tau_m","value":1e400}',
    '{"op":"set_weights","projection":"front_brakes","value":"1e400 nS"}',
    '[',
    '{"op":',
    'null',
    '"x"',
    '{"op":"set_param","population":"brake","param":"tau_m","value":"NaN ms"}',
  ),
);

const quantityArb = fc.oneof(
  fc.constantFrom('5 Hz', '1 nS', '200 pA', '-1 Hz', '1e400 Hz', 'NaN nS', '10 volt', '3'),
  fc.double(),
  fc.string({ maxLength: 12 }),
);
/** A source the circuit takes: the element fuzz always tries it first, so the property reaches the rebuild. */
const PLAIN_SOURCE_ELEMENT = {
  section: 'sources',
  name: 'drive',
  value: { type: 'poisson', target: 'brake', rate: '5 Hz', weight: '1 nS', synapse: { type: 'conductance', receptor: 'excitatory' } },
};
/** Elements the page sets by rebuilding: plausible ones (some accepted), hostile and random ones. */
const elementBodyArb = fc
  .oneof(
    fc.constantFrom(
      PLAIN_SOURCE_ELEMENT,
      {
        section: 'models',
        name: 'leaky',
        value: {
          parameters: { tau: '10 ms', E_L: '-70 mV' },
          equations: 'dv/dt = (E_L - v)/tau : volt',
          threshold: 'v > -50*mV',
          reset: 'v = E_L',
        },
      },
      { section: 'sources', name: 'drive', value: null },
    ),
    fc.record(
      {
        section: fc.constant('sources'),
        name: fc.constantFrom('drive', 'tonic_left', '__proto__', 'toString', 'x'),
        value: fc.record(
          {
            type: fc.constantFrom('poisson', 'constant', 'step', 'nope'),
            target: fc.constantFrom('brake', 'motor_left', 'nope', '__proto__'),
            rate: quantityArb,
            weight: quantityArb,
            amplitude: quantityArb,
            synapse: fc.constant({ type: 'conductance', receptor: 'excitatory' }),
          },
          { requiredKeys: ['type', 'target'] },
        ),
      },
      { requiredKeys: ['section', 'name', 'value'] },
    ),
    fc.record({
      section: fc.constant('models'),
      name: fc.constantFrom('leaky', 'lif', 'constructor', 'm'),
      value: fc.record(
        {
          parameters: fc.dictionary(fc.constantFrom('tau', 'E_L', 'I_b', 'C'), quantityArb, { maxKeys: 4 }),
          equations: fc.constantFrom(
            'dv/dt = (E_L - v)/tau : volt',
            'dv/dt = (E_L - v)/tau + I_b : volt',
            'dv/dt = v**1e9/tau : 1',
            'x',
            '',
          ),
          threshold: fc.constantFrom('v > -50*mV', 'v > 1', 'v'),
          reset: fc.constantFrom('v = E_L', 'v = 1/0', 'w += 1'),
        },
        { requiredKeys: ['equations'] },
      ),
    }),
    fc.record({
      section: fc.constantFrom('outputs', 'modulators', 'inputs', 'populations', '__proto__', 'constructor'),
      name: fc.constantFrom('wheel_left', 'range_left', 'extra', '', 'a.b', 'x'.repeat(80)),
      value: fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 3 })),
    }),
    fc.record({
      section: fc.constantFrom('modules', 'ports'),
      name: fc.constantFrom('m', 'extra', '__proto__', 'a.b'),
      value: fc.oneof(
        fc.constant(null),
        fc.record(
          {
            module: fc.constantFrom(...MODULE_SPECS),
            override: fc.oneof(
              fc.constant({ populations: { cells: { size: 3 } } }),
              fc.constantFrom(
                { models: { x: join(outside, 'secret.yaml') } },
                { include: [{ module: join(outside, 'secret.yaml'), prefix: 's' }] },
                { extends: join(outside, 'secret.yaml') },
              ),
              fc.jsonValue({ maxDepth: 2 }),
            ),
            version: fc.constantFrom('^1.0.0', 'x'),
            prefix: fc.constant('other'),
          },
          { requiredKeys: ['module'] },
        ),
        fc.record({ population: fc.constantFrom('brake', 'nope', '../x', 'm.cells', 3) }, { requiredKeys: [] }),
      ),
    }),
    fc.jsonValue({ maxDepth: 4 }),
  )
  .map((b) => JSON.stringify(b));

/** The ports of the bridge document's devices that are not serial device nodes under /dev (after links). */
function devicePortsOutsideDev(text: string): string[] {
  const doc = parseYaml(text) as { devices?: Record<string, { serial?: { path?: string }; board?: { port?: string } }> } | null;
  const ports = Object.values(doc?.devices ?? {}).flatMap((d) =>
    [d.serial?.path, d.board?.port].filter((p): p is string => typeof p === 'string'),
  );
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  return ports.filter((p) => !/^\/dev\/(tty|serial\/|pts\/|cu\.)/.test(real(p)) || real(p).includes('..'));
}

/**
 * The circuit's modules that are files and lie outside the circuit's folder (a link followed), and any
 * file an include's override names (its base, includes, models by reference: the circuit has none).
 */
function modulesOutside(text: string): string[] {
  const doc = parseYaml(text) as { include?: { module?: unknown; override?: Record<string, unknown> }[] } | null;
  const named = (doc?.include ?? []).flatMap((i) => {
    const o = i.override ?? {};
    const models = o.models && typeof o.models === 'object' ? Object.values(o.models).filter((m) => typeof m === 'string') : [];
    return [...(o.extends !== undefined ? ['extends'] : []), ...(o.include !== undefined ? ['include'] : []), ...models.map(String)];
  });
  if (named.length) return named;
  const files = (doc?.include ?? []).map((i) => i.module).filter((m): m is string => typeof m === 'string' && /\.(ya?ml|json)$/.test(m));
  const folder = realpathSync(dir);
  return files.filter((m) => relative(folder, realpathSync(resolve(folder, m))).startsWith('..'));
}

/** A binding the bridge editor sends that the node takes. */
const RANGE_FRONT_BINDING = {
  section: 'inputs',
  name: 'range_front',
  value: {
    topic: 'scan',
    type: 'sensor_msgs/msg/LaserScan',
    path: 'ranges[140:220]',
    qos: 'sensor',
    encoder: { current: { min: 0.8, max: 0.2, current_max: 1 } },
    timeout: '200 ms',
  },
};

/** Bindings the bridge editor sends: plausible ones (some accepted), hostile and random ones. */
const bindingBodyArb = fc
  .oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        RANGE_FRONT_BINDING,
        {
          section: 'outputs',
          name: 'extra',
          value: {
            topic: 'extra',
            type: 'std_msgs/msg/Float32',
            rate: '10 Hz',
            values: {
              data: {
                terms: [{ population: 'brake', decoder: { rate: { tau: '50 ms', rate_max: '100 Hz' } } }],
                limits: { min: 0, max: 1, safe: 0 },
              },
            },
          },
        },
        { section: 'outputs', name: 'extra', value: null },
      ),
    },
    fc.record({
      section: fc.constant('inputs'),
      name: fc.constantFrom('range_front', 'range_left', 'reward', '__proto__', 'constructor'),
      value: fc.record(
        {
          topic: fc.constantFrom('scan', '/scan', '', 'a b', '~/x', 'rt/../x'),
          type: fc.constantFrom('sensor_msgs/msg/LaserScan', 'std_msgs/msg/Float32', 'nope/msg/X', '../../etc/passwd', ''),
          path: fc.constantFrom('ranges[150:210]', 'ranges[0:1048577]', 'ranges[-1]', 'rangs[0:2]', 'data', '__proto__', ''),
          qos: fc.constantFrom('sensor', 'default', 'x'),
          encoder: fc.oneof(fc.constant({ current: { min: 0.8, max: 0.2, current_max: 1 } }), fc.jsonValue({ maxDepth: 3 })),
          timeout: quantityArb,
          valid: fc.oneof(fc.constant([0, 100]), fc.jsonValue({ maxDepth: 2 })),
        },
        { requiredKeys: ['topic', 'type', 'path'] },
      ),
    }),
    fc.record({
      section: fc.constant('outputs'),
      name: fc.constantFrom('cmd_vel', 'extra', 'toString'),
      value: fc.record(
        {
          topic: fc.constantFrom('cmd_vel', 'other'),
          type: fc.constantFrom('geometry_msgs/msg/Twist', 'std_msgs/msg/Float32', 'x'),
          rate: quantityArb,
          values: fc.dictionary(
            fc.constantFrom('linear.x', 'angular.z', 'data', 'linear', '__proto__'),
            fc.record({
              terms: fc.oneof(
                fc.constant([
                  { population: 'motor_left', decoder: { rate: { tau: '100 ms', rate_max: '100 Hz', min: 0, max: 1 } }, weight: 0.3 },
                ]),
                fc.jsonValue({ maxDepth: 3 }),
              ),
              limits: fc.record({ min: fc.double(), max: fc.double(), slew_rate: fc.double(), safe: fc.oneof(fc.double(), quantityArb) }),
            }),
            { maxKeys: 3 },
          ),
        },
        { requiredKeys: ['topic', 'type', 'values'] },
      ),
    }),
    fc.record({
      section: fc.constant('devices'),
      name: fc.constantFrom('ranger', 'board', '__proto__'),
      value: fc.oneof(
        fc.record({
          serial: fc.record(
            {
              path: fc.constantFrom(...DEVICE_PATHS),
              baudRate: fc.constantFrom(115200, 0, -1, 1e12),
              framing: fc.oneof(fc.constant({ kind: 'lines' }), fc.jsonValue({ maxDepth: 2 })),
              inputs: fc.constant([{ name: 'front', key: 'front' }]),
            },
            { requiredKeys: ['path'] },
          ),
        }),
        fc.record({ board: fc.record({ port: fc.constantFrom(...DEVICE_PATHS) }) }),
        fc.constant(null),
      ),
    }),
    fc.record({
      section: fc.constantFrom('inputs', 'outputs', 'devices', '__proto__', 'circuit'),
      name: fc.constantFrom('range_left', 'cmd_vel', '', 'a.b', 'x'.repeat(80)),
      value: fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 3 })),
    }),
    fc.jsonValue({ maxDepth: 4 }),
  )
  .map((b) => JSON.stringify(b));

describe('fuzz: the dashboard over HTTP and WebSocket', () => {
  beforeAll(async () => {
    node = await FluxNode.start({ bridge: BRIDGE, transport: 'memory', backend: 'cpu', threads: 1, log: () => undefined });
    // A small budget of live additions, so accepted random additions keep the node small; no rate limit (429 would hide the edits).
    dash = await startDashboard({
      node,
      port: 0,
      limits: { editsPerSecond: 1e6, rebuildIntervalMs: 0, totalNeurons: 2000, totalSynapses: 200_000, maxNeurons: 500 },
    });
  });
  afterAll(async () => {
    await dash?.close();
    await node?.shutdown();
    flushTallies('fuzz-http');
  });

  it('raw requests: any request line, target and headers get a status (never 5xx) or a closed socket', async () => {
    await fc.assert(
      fc.asyncProperty(rawRequestArb, fc.boolean(), async (r, withToken) => {
        const headers = [...r.headers];
        if (r.host) headers.unshift(['Host', `127.0.0.1:${dash.port}`]);
        if (withToken) headers.push(['X-Flux-Token', token()]);
        if (r.body && r.method === 'POST')
          headers.push(['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(r.body))]);
        if (r.upgrade)
          headers.push(
            ['Upgrade', 'websocket'],
            ['Connection', 'Upgrade'],
            ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
            ['Sec-WebSocket-Version', '13'],
          );
        const head = `${r.method} ${r.target} ${r.version}\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}${headers.length ? '\r\n' : ''}\r\n`;
        const out = await judgeAsync(
          'raw request',
          () => rawExchange(head + r.body),
          () => false,
        );
        if (!out.ok) throw out.error;
        // 101 only for a well-formed upgrade with the token: then the socket was a WebSocket, closed by us.
        if (out.value !== null && out.value !== 101) {
          expect(out.value).toBeGreaterThanOrEqual(200);
          expect(out.value).toBeLessThan(500);
        }
        expect(out.ms).toBeLessThan(3000);
      }),
      { numRuns: runs(150) },
    );
    expect(await alive()).toBe(true);
  }, 60_000);

  it('/api/edit: arbitrary and hostile JSON bodies are answered 200/4xx; the state stays finite and the document savable', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(editBodyArb, async (body) => {
        const out = await judgeAsync(
          'edit body',
          () => postJson('/api/edit', body),
          () => false,
        );
        if (!out.ok) throw out.error;
        expect([200, 400, 409, 413, 415, 429], out.value.text).toContain(out.value.status);
        if (out.value.status === 200) {
          accepted++;
          // Accepted: what the engine runs is finite and the file can hold it.
          if (hasNonFinite(await engineState())) countNonFinite('edit body');
          expect(hasNonFinite(await engineState())).toBe(false);
          expect(() => planSave(CIRCUIT, node.engine.flat)).not.toThrow();
        }
      }),
      { numRuns: runs(120) },
    );
    // The fuzzer reaches the engine: some edits were taken (their state and document were checked).
    expect(accepted).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>).op).toBeUndefined();
    expect(await alive()).toBe(true);
    // Undo and save still work after whatever was accepted.
    for (let i = 0; i < 200; i++) if ((await postJson('/api/undo', '{}')).status !== 200) break;
    const saved = await postJson('/api/save', '{}');
    expect(saved.status, saved.text).toBe(200);
    expect(hasNonFinite(await engineState())).toBe(false);
  }, 60_000);

  it('/api/element, /api/run, /api/redo: arbitrary and hostile bodies are answered 200/4xx; a rebuild keeps the state finite and the document savable', async () => {
    await restoreCircuit();
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        elementBodyArb,
        fc.constantFrom('/api/element', '/api/element', '/api/element', '/api/run', '/api/redo'),
        async (body, path) => {
          const out = await judgeAsync(
            'element body',
            () => postJson(path, body),
            () => false,
          );
          if (!out.ok) throw out.error;
          expect([200, 400, 409, 413, 415, 429], out.value.text).toContain(out.value.status);
          // This node runs a robot: no run control (pausing it would leave the bridge's outputs to the watchdog).
          if (path === '/api/run') expect(out.value.status).not.toBe(200);
          if (out.value.status === 200 && path === '/api/element') {
            accepted++;
            // A module the page names is a file in the circuit's folder (or a package circuit), never one elsewhere.
            expect(modulesOutside(planSave(CIRCUIT, node.engine.flat).text)).toEqual([]);
            expect(hasNonFinite(await engineState())).toBe(false);
            expect(() => planSave(CIRCUIT, node.engine.flat)).not.toThrow();
          }
        },
      ),
      // Random draws reach an accepted rebuild in about one run in fifteen; one CI run drew none in sixty.
      { numRuns: runs(60), examples: [[JSON.stringify(PLAIN_SOURCE_ELEMENT), '/api/element']] },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>).section).toBeUndefined();
    expect(await alive()).toBe(true);
    const saved = await postJson('/api/save', '{}');
    expect(saved.status, saved.text).toBe(200);
  }, 120_000);

  it('/api/binding, /api/fields: arbitrary and hostile bindings are answered 200/4xx; a refused one changes nothing; every running bridge has finite limits', async () => {
    await restoreCircuit();
    let accepted = 0;
    /** Why the plausible bindings were refused, shown if none was accepted. */
    const refused: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        bindingBodyArb,
        fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('geometry_msgs/msg/Twist', '../x')),
        async (body, type) => {
          const before = node.bridgeDocument().text;
          const out = await judgeAsync(
            'binding body',
            () => postJson('/api/binding', body),
            () => false,
          );
          if (!out.ok) throw out.error;
          expect([200, 400, 409, 413, 415, 429], out.value.text).toContain(out.value.status);
          if (out.value.status === 200) {
            accepted++;
            // A device the node opens is a serial device node (or one not there yet), never another file.
            expect(devicePortsOutsideDev(node.bridgeDocument().text)).toEqual([]);
            // What runs is a document that passes every check, with limits a robot can be held to.
            expect(() => loadBridge(BRIDGE, CIRCUIT, node.bridgeDocument().text)).not.toThrow();
            expect(nonFiniteIn(node.loaded.config.outputs), JSON.stringify(node.loaded.config.outputs)).toEqual([]);
          } else {
            expect(node.bridgeDocument().text).toBe(before);
            if (refused.length < 20) refused.push(`${out.value.status} ${out.value.text.slice(0, 200)}`);
          }
          const fields = await fetch(`http://127.0.0.1:${dash.port}/api/fields?type=${encodeURIComponent(type)}`, {
            headers: { 'X-Flux-Token': dash.token! },
          });
          expect([200, 400, 404]).toContain(fields.status);
        },
      ),
      { numRuns: runs(40) },
    );
    // After all of that, a plain binding is still taken (the fuzz's own plausible ones are accepted in
    // about one run in six here; in one CI run none of forty was, and nothing said why: now it does).
    const plain = await postJson('/api/binding', JSON.stringify(RANGE_FRONT_BINDING));
    expect(plain.status, `${plain.text}\nthe fuzz's refusals (${accepted} accepted):\n${refused.join('\n')}`).toBe(200);
    expect(await alive()).toBe(true);
    // Save writes the bindings the node runs (when any was accepted), and the file passes the checks.
    const saved = await postJson('/api/save', '{}');
    expect(saved.status, saved.text).toBe(200);
    expect(() => loadBridge(BRIDGE)).not.toThrow();
    expect(node.bridgeDocument().saved).toBe(true);
  }, 180_000);

  it('/api/new: a name that is not a plain document key (paths, prototypes, non-strings) is refused and creates no file', async () => {
    const before = readdirSync(dir).sort();
    const circuit = node.loaded.circuitFile;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(
            '../x',
            'a/b',
            '/etc/passwd',
            '..',
            '.',
            '',
            'x'.repeat(65),
            '__proto__',
            'constructor',
            'a.b',
            'c:x',
            'a\u0000b',
          ),
          fc.string({ maxLength: 70 }).filter((n) => !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(n)),
          fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 })),
        ),
        async (name) => {
          const r = await postJson('/api/new', JSON.stringify({ name }));
          expect(r.status, r.text).toBe(400);
        },
      ),
      { numRuns: runs(100) },
    );
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(node.loaded.circuitFile).toBe(circuit);
  });

  it('WebSocket: arbitrary messages are ignored or close that socket; the server goes on streaming to others', async () => {
    const watcher = new WebSocket(`ws://127.0.0.1:${dash.port}/ws?token=${token()}`);
    let received = 0;
    watcher.on('message', () => received++);
    await new Promise((r, j) => (watcher.on('open', r), watcher.on('error', j)));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 6000 }), fc.json()), { minLength: 1, maxLength: 5 }),
        async (messages) => {
          const out = await judgeAsync(
            'websocket messages',
            () =>
              new Promise<string>((resolve, reject) => {
                const sock = new WebSocket(`ws://127.0.0.1:${dash.port}/ws?token=${token()}`);
                const timer = setTimeout(() => (sock.terminate(), reject(new Error('no hello and no close in 3 s'))), 3000);
                sock.on('error', () => undefined);
                sock.on('close', () => (clearTimeout(timer), resolve('closed')));
                sock.on('open', () => {
                  for (const m of messages) sock.send(m);
                  // The hello was sent on connect; a ping after the messages shows the socket is still served.
                  sock.ping();
                });
                sock.on('pong', () => (clearTimeout(timer), sock.close(), resolve('open')));
              }),
            () => false,
          );
          if (!out.ok) throw out.error;
          expect(['open', 'closed']).toContain(out.value);
        },
      ),
      { numRuns: runs(40) },
    );
    const before = received;
    await new Promise((r) => setTimeout(r, 400));
    expect(received).toBeGreaterThan(before);
    watcher.close();
    expect(await alive()).toBe(true);
  }, 60_000);

  it('the node kept ticking through all of it', async () => {
    const t0 = node.bridge.stats.ticks;
    await new Promise((r) => setTimeout(r, 300));
    expect(node.bridge.stats.ticks).toBeGreaterThan(t0);
    expect(NoAnswer).toBeDefined();
  });
});
