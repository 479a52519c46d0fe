// launch/ (the flux_ros ament package) and the Dockerfile, checked as far as a machine without ROS 2,
// colcon or Docker allows: the package and launch files parse and agree, the example parameters are
// ones Flux declares, the flux_node wrapper runs Flux with launch_ros's command line (and, where CMake
// is installed, installs as colcon would, against a stand-in ament_cmake where Debian's is missing),
// and the Dockerfile says what the image needs.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FluxNode } from '../bridge/node/node.js';
import { ROOT, tempDir, libraryCircuit } from './helpers.js';
import { requires } from './requirements.js';

const PKG = join(ROOT, 'launch/flux_ros');
const TEMPLATE = join(PKG, 'scripts/flux_node.in');
const PARAMS = join(PKG, 'config/flux_params.yaml');
const BRIDGE = join(ROOT, 'examples/bridges/braitenberg.yaml');
const LAUNCH_ARGS = ['bridge', 'circuit', 'params_file', 'namespace', 'use_sim_time', 'cmd_vel', 'scan', 'stamped', 'backend'];

const python = requires('python3');
const cmake = requires('cmake');
// Debian's ament-cmake, where installed (apt-get install ament-cmake), builds the package for real;
// elsewhere a stand-in ament_cmake defines ament_package() as nothing.
const ament =
  existsSync('/usr/share/ament_cmake/cmake/ament_cmakeConfig.cmake') &&
  spawnSync('/usr/bin/python3', ['-c', 'import ament_package']).status === 0;

let tmp: string;
beforeAll(() => {
  tmp = tempDir('flux-launch-');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function py(script: string, ...args: string[]): string {
  const r = spawnSync('python3', ['-c', script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPYCACHEPREFIX: join(tmp, 'pycache') },
  });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout;
}

// What each launch file declares and hands the node, the Python one read with ast, the XML one with
// ElementTree; a value is the name of the launch argument it comes from.
const DESCRIBE_LAUNCH = String.raw`
import ast, json, re, sys, xml.etree.ElementTree as ET
src = open(sys.argv[1]).read()
tree = ast.parse(src, sys.argv[1])
def fname(f): return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
def text(n): return n.value if isinstance(n, ast.Constant) and isinstance(n.value, str) else None
def var(n):
    if isinstance(n, ast.Call) and fname(n.func) == 'LaunchConfiguration': return text(n.args[0])
    return text(n)
out = {'args': {}, 'vars': [], 'nodes': [], 'functions': [f.name for f in tree.body if isinstance(f, ast.FunctionDef)]}
for n in ast.walk(tree):
    if not isinstance(n, ast.Call): continue
    f = fname(n.func)
    if f == 'DeclareLaunchArgument':
        kw = {k.arg: k.value for k in n.keywords}
        d = kw.get('default_value')
        out['args'][text(n.args[0])] = None if d is None else (text(d) if text(d) is not None else '<substitution>')
    elif f == 'LaunchConfiguration': out['vars'].append(text(n.args[0]))
    elif f == 'Node':
        kw = {k.arg: k.value for k in n.keywords}
        params, files = {}, []
        for p in kw['parameters'].elts:
            if isinstance(p, ast.Dict): params.update({text(k): var(v) for k, v in zip(p.keys, p.values)})
            else: files.append(var(p))
        out['nodes'].append({
            'package': text(kw['package']), 'executable': text(kw['executable']), 'name': text(kw['name']),
            'namespace': var(kw['namespace']), 'arguments': [var(a) for a in kw['arguments'].elts],
            'param_files': files, 'params': params,
            'remaps': {text(t.elts[0]): var(t.elts[1]) for t in kw['remappings'].elts},
            'env': {text(k): var(v) for k, v in zip(kw['additional_env'].keys, kw['additional_env'].values)},
        })
py = out
src = open(sys.argv[2]).read()
root = ET.fromstring(src)
def xvar(s):
    m = re.fullmatch(r'\$\(var (\w+)\)', s or '')
    return m.group(1) if m else s
x = {'root': root.tag, 'args': {}, 'vars': re.findall(r'\$\(var (\w+)\)', src), 'nodes': []}
for a in root.findall('arg'):
    d = a.get('default')
    x['args'][a.get('name')] = None if d is None else ('<substitution>' if '$(' in d else d)
for n in root.findall('node'):
    x['nodes'].append({
        'package': n.get('pkg'), 'executable': n.get('exec'), 'name': n.get('name'),
        'namespace': xvar(n.get('namespace')), 'arguments': [xvar(a) for a in re.findall(r'\$\(var \w+\)|\S+', n.get('args') or '')],
        'param_files': [xvar(p.get('from')) for p in n.findall('param') if p.get('from')],
        'params': {p.get('name'): xvar(p.get('value')) for p in n.findall('param') if p.get('name')},
        'remaps': {r.get('from'): xvar(r.get('to')) for r in n.findall('remap')},
        'env': {e.get('name'): xvar(e.get('value')) for e in n.findall('env')},
    })
print(json.dumps({'py': py, 'xml': x}))
`;

interface LaunchNode {
  package: string;
  executable: string;
  name: string;
  namespace: string;
  arguments: string[];
  param_files: string[];
  params: Record<string, string>;
  remaps: Record<string, string>;
  env: Record<string, string>;
}
interface LaunchInfo {
  args: Record<string, string | null>;
  vars: string[];
  nodes: LaunchNode[];
}

/** The parameters a ROS params file sets for every node (`/**`), flattened to dotted names. */
function paramsOf(file: string): Record<string, unknown> {
  // Integers as BigInt, as rcl tells them from doubles (1000 vs 1000.0).
  const doc = parseYaml(readFileSync(file, 'utf8'), { intAsBigInt: true }) as Record<string, { ros__parameters: Record<string, unknown> }>;
  const out: Record<string, unknown> = {};
  const flatten = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, `${prefix}${k}.`);
      else out[`${prefix}${k}`] = v;
    }
  };
  flatten(doc['/**'].ros__parameters, '');
  return out;
}

/** Runs a command to its end (or kills it after timeoutMs), with stdout and stderr together. */
function run(
  cmd: string,
  args: string[],
  env: Record<string, string | undefined>,
  onOutput?: (all: string, child: ChildProcess) => void,
  timeoutMs = 20_000,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const e = { ...process.env };
    for (const k of ['FLUX_HOME', 'FLUX_CIRCUIT', 'FLUX_TRANSPORT', 'FLUX_BACKEND']) delete e[k];
    // Its own process group, so that a timeout kills whatever it started too.
    const child = spawn(cmd, args, { env: { ...e, ...env }, cwd: tmp, detached: true });
    let out = '';
    const add = (d: Buffer) => {
      out += d.toString();
      onOutput?.(out, child);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

// Flux options that keep a wrapper run short and light on a shared two-core machine.
const QUICK = ['--duration', '1s', '--status', '0', '--backend', 'cpu', '--threads', '1'];

describe.skipIf(python.skip)('flux_ros package and launch files', () => {
  it('package.xml is a format 3 ament_cmake package named flux_ros with the launch dependencies, under the repo licence', () => {
    const info = JSON.parse(
      py(
        String.raw`
import json, sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
print(json.dumps({'tag': r.tag, 'format': r.get('format'), 'name': r.findtext('name'), 'version': r.findtext('version'),
  'license': r.findtext('license'), 'maintainers': len(r.findall('maintainer')),
  'buildtool': [e.text for e in r.findall('buildtool_depend')], 'exec': [e.text for e in r.findall('exec_depend')],
  'build_type': r.findtext('export/build_type')}))`,
        join(PKG, 'package.xml'),
      ),
    );
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(info).toMatchObject({ tag: 'package', format: '3', name: 'flux_ros', license: pkg.license, build_type: 'ament_cmake' });
    expect(info.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(info.maintainers).toBeGreaterThan(0);
    expect(info.buildtool).toContain('ament_cmake');
    expect(info.exec).toEqual(expect.arrayContaining(['launch', 'launch_ros', 'launch_xml']));
    // The project name in CMakeLists.txt is the package's.
    expect(readFileSync(join(PKG, 'CMakeLists.txt'), 'utf8')).toMatch(/^project\(flux_ros\b/m);
  });

  it('flux.launch.py compiles, and it and flux.launch.xml declare the same arguments and pass the node the same things', () => {
    const launchPy = join(PKG, 'launch/flux.launch.py');
    const c = spawnSync('python3', ['-m', 'py_compile', launchPy], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPYCACHEPREFIX: join(tmp, 'pycache') },
    });
    expect(c.status, c.stderr).toBe(0);
    const { py: p, xml: x } = JSON.parse(py(DESCRIBE_LAUNCH, launchPy, join(PKG, 'launch/flux.launch.xml'))) as {
      py: LaunchInfo & { functions: string[] };
      xml: LaunchInfo & { root: string };
    };
    expect(p.functions).toContain('generate_launch_description');
    expect(x.root).toBe('launch');
    expect(Object.keys(p.args).sort()).toEqual([...LAUNCH_ARGS].sort());
    expect(Object.keys(x.args).sort()).toEqual(Object.keys(p.args).sort());
    expect(x.args).toEqual(p.args);
    // Every argument used is declared (a typo would be an unset launch configuration).
    for (const v of [...p.vars, ...x.vars]) expect(LAUNCH_ARGS).toContain(v);
    expect(p.nodes).toHaveLength(1);
    expect(x.nodes).toEqual(p.nodes);
    const node = p.nodes[0];
    expect(node).toMatchObject({
      package: 'flux_ros',
      executable: 'flux_node',
      name: 'flux',
      namespace: 'namespace',
      arguments: ['bridge'],
      param_files: ['params_file'],
    });
    expect(node.params).toEqual({ use_sim_time: 'use_sim_time', backend: 'backend', 'outputs.cmd_vel.stamped': 'stamped' });
    expect(node.remaps).toEqual({ cmd_vel: 'cmd_vel', scan: 'scan' });
    expect(node.env).toEqual({ FLUX_CIRCUIT: 'circuit' });
    // What the launch files install and name exists in the package.
    expect(p.args.bridge).toBe('');
    expect(readFileSync(join(PKG, 'CMakeLists.txt'), 'utf8')).toMatch(
      /install\(DIRECTORY launch config DESTINATION share\/\$\{PROJECT_NAME\}\)/,
    );
  });

  it('the example params file and the launch files set only parameters Flux declares, with the types it declares', async () => {
    const set = paramsOf(PARAMS);
    expect(Object.keys(set).length).toBeGreaterThanOrEqual(5);
    // rcl refuses an integer for a double, and Flux declares no integer parameters: 1000.0, not 1000.
    for (const [name, v] of Object.entries(set)) expect(typeof v, `${name}: ${v}`).not.toBe('bigint');
    const { py: p } = JSON.parse(py(DESCRIBE_LAUNCH, join(PKG, 'launch/flux.launch.py'), join(PKG, 'launch/flux.launch.xml'))) as {
      py: LaunchInfo;
    };
    // Loaded as launch_ros passes it: another node name and a namespace, so `/**` must match.
    const node = await FluxNode.start({
      bridge: BRIDGE,
      transport: 'memory',
      rosArgs: ['--ros-args', '-r', '__node:=brain', '-r', '__ns:=/robot1', '--params-file', PARAMS],
      backend: 'cpu',
      threads: 1,
      log: () => {},
    });
    try {
      const declared = node.params.names();
      for (const name of [...Object.keys(set), ...Object.keys(p.nodes[0].params)]) expect(declared, name).toContain(name);
      for (const [name, v] of Object.entries(set)) {
        expect(node.params.get(name), name).toBe(v);
        expect(typeof node.params.get(name), name).toBe(typeof v);
      }
      expect(node.bridge.settings.tickHz).toBe(set.tick_hz);
      expect(node.bridge.settings.watchdogMs).toBe(set.watchdog_ms);
      expect(node.bridge.settings.outputs.find((o) => o.name === 'cmd_vel')!.stamped).toBe(set['outputs.cmd_vel.stamped']);
      // The launch files remap what the example bridge's topics are.
      expect(node.bridge.settings.inputs.map((i) => i.topic)).toContain('scan');
      expect(node.bridge.settings.outputs.map((o) => o.topic)).toContain('cmd_vel');
    } finally {
      await node.shutdown();
    }
  });
});

describe('flux_node wrapper', () => {
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is not built: run npm run build (npm test does)');
  });

  it('is valid bash', () => {
    for (const f of [TEMPLATE, join(ROOT, 'launch/docker/entrypoint.sh')]) {
      const r = spawnSync('bash', ['-n', f], { encoding: 'utf8' });
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
    }
  });

  it.concurrent("runs the command line launch_ros builds from the launch files' arguments", async () => {
    // What `ros2 launch flux_ros flux.launch.py namespace:=robot1 cmd_vel:=/diff_drive_controller/cmd_vel
    // scan:=/front/scan stamped:=true backend:=cpu circuit:=<copy>` runs: an empty bridge argument, the
    // params file, then the launch arguments' parameters in a file of launch's own, then the remaps.
    const dir = join(tmp, 'as-launched');
    mkdirSync(dir);
    const circuit = join(dir, 'my-circuit.yaml');
    copyFileSync(libraryCircuit('braitenberg/braitenberg'), circuit);
    const launchParams = join(dir, 'launch_params_x');
    writeFileSync(
      launchParams,
      '/robot1/flux:\n  ros__parameters:\n    backend: cpu\n    outputs.cmd_vel.stamped: true\n    use_sim_time: false\n',
    );
    const r = await run(
      'bash',
      [
        TEMPLATE,
        '',
        ...QUICK,
        '--ros-args',
        '-r',
        '__node:=flux',
        '-r',
        '__ns:=/robot1',
        '--params-file',
        PARAMS,
        '--params-file',
        launchParams,
        '-r',
        'cmd_vel:=/diff_drive_controller/cmd_vel',
        '-r',
        'scan:=/front/scan',
      ],
      { FLUX_HOME: ROOT, FLUX_TRANSPORT: 'memory', FLUX_CIRCUIT: circuit },
    );
    expect(r.out).toContain(`flux: node /robot1/flux on the memory transport, circuit ${circuit} (`);
    expect(r.out).toContain('in  /front/scan -> range_left');
    expect(r.out).toContain('out cmd_vel -> /diff_drive_controller/cmd_vel (geometry_msgs/msg/TwistStamped)');
    expect(r.code, r.out).toBe(0);
  });

  it.concurrent('execs node, so the SIGINT that launch sends reaches Flux, which stops safely and exits 0', async () => {
    let sent = 0;
    const r = await run(
      'bash',
      [TEMPLATE, BRIDGE, '--status', '0', '--backend', 'cpu', '--threads', '1', '--ros-args', '-r', '__node:=brain'],
      { FLUX_HOME: ROOT, FLUX_TRANSPORT: 'memory' },
      (out, child) => {
        if (!sent && out.includes('flux: running')) {
          sent = performance.now();
          child.kill('SIGINT');
        }
      },
      // The start is not what is tested (the stop is, below): alone it takes about 3 s, beside the
      // suite's other files on two cores it took more than 8 s twice in a full CI run.
      20_000,
    );
    expect(sent).toBeGreaterThan(0);
    expect(performance.now() - sent).toBeLessThan(2000);
    expect(r.out).toMatch(/flux: SIGINT: safe command published on \/cmd_vel \([1-9]\d* messages?\)/);
    expect(r.code, r.out).toBe(0);
  });

  it.concurrent('passes --ros unless FLUX_TRANSPORT=memory', async () => {
    const r = await run('bash', [TEMPLATE, ...QUICK, '--ros-args', '-r', '__node:=brain'], { FLUX_HOME: ROOT });
    expect(r.out).not.toContain('no transport chosen');
    // Here, with no ROS 2, Flux says it needs rclnodejs; with ROS 2 sourced and rclnodejs, it runs on it.
    expect(r.out).toMatch(/rclnodejs|node \/brain on the ros transport/);
  });

  it('refuses a missing Flux checkout and an unknown transport', () => {
    const env = (e: Record<string, string>) => ({ ...process.env, FLUX_TRANSPORT: 'memory', ...e });
    const missing = spawnSync('bash', [TEMPLATE], { encoding: 'utf8', env: env({ FLUX_HOME: join(tmp, 'nowhere') }) });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`no Flux at ${join(tmp, 'nowhere')}`);
    const transport = spawnSync('bash', [TEMPLATE], { encoding: 'utf8', env: env({ FLUX_HOME: ROOT, FLUX_TRANSPORT: 'udp' }) });
    expect(transport.status).toBe(2);
    expect(transport.stderr).toContain('FLUX_TRANSPORT=udp: expected ros or memory');
  });
});

// The wrapper as CMake installs it (configure_file(@ONLY) fills in the checkout): only where CMake is;
// elsewhere skipped, since filling the placeholder in here would only test this file's own substitution.
describe.skipIf(cmake.skip)('flux_node installed by CMake', () => {
  const flux = join(ROOT, 'dist/cli/main.js');
  let installed: string;

  beforeAll(() => {
    if (!existsSync(flux)) throw new Error('dist/ is not built: run npm run build (npm test does)');
    // Installed as colcon would (configure, install).
    installed = join(tmp, 'install/lib/flux_ros/flux_node');
    let withAment = ['-DPython3_EXECUTABLE=/usr/bin/python3'];
    if (!ament) {
      mkdirSync(join(tmp, 'stub'));
      writeFileSync(join(tmp, 'stub/ament_cmakeConfig.cmake'), 'macro(ament_package)\nendmacro()\n');
      withAment = [`-Dament_cmake_DIR=${join(tmp, 'stub')}`];
    }
    for (const args of [
      ['-S', PKG, '-B', join(tmp, 'build'), ...withAment, `-DCMAKE_INSTALL_PREFIX=${join(tmp, 'install')}`],
      ['--install', join(tmp, 'build')],
    ]) {
      const r = spawnSync('cmake', args, { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain('has no bin/flux.js');
    }
    const files = [
      'share/flux_ros/launch/flux.launch.py',
      'share/flux_ros/launch/flux.launch.xml',
      'share/flux_ros/config/flux_params.yaml',
    ];
    // What FindPackageShare and `ros2 launch flux_ros ...` look up.
    if (ament) files.push('share/ament_index/resource_index/packages/flux_ros', 'share/flux_ros/package.xml');
    for (const f of files) expect(existsSync(join(tmp, 'install', f)), f).toBe(true);
  });

  it('records this checkout and is executable', () => {
    const text = readFileSync(installed, 'utf8');
    expect(text).not.toContain('@FLUX_HOME@');
    expect(text).toContain(`flux_home="\${FLUX_HOME:-${ROOT}}"`);
    expect(statSync(installed).mode & 0o111).not.toBe(0);
    expect(text).toMatch(/^exec node "\$flux_home\/bin\/flux\.js" run "\$bridge" "\$@"$/m);
  });

  it('runs Flux from the recorded checkout with the ROS arguments it is given', async () => {
    const r = await run(installed, [...QUICK, '--ros-args', '-r', '__node:=brain'], { FLUX_TRANSPORT: 'memory' });
    expect(r.out).toContain('flux: node /brain on the memory transport');
    expect(r.out).toContain(`circuit ${libraryCircuit('braitenberg/braitenberg')}`);
    expect(r.out).toContain('flux: done after 1.0 s');
    expect(r.code, r.out).toBe(0);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  // Instructions, with continuation lines joined and comments dropped.
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ op: l.split(/\s+/)[0].toUpperCase(), args: l.slice(l.split(/\s+/)[0].length).trim() }));
  const index = (pred: (i: { op: string; args: string }) => boolean) => instructions.findIndex(pred);

  it('builds on ros:jazzy-ros-base with a pinned, checksummed Node.js >= 20.20.2', () => {
    expect(instructions.filter((i) => i.op === 'FROM').map((i) => i.args)).toEqual(['ros:jazzy-ros-base']);
    expect(instructions[0].op).toBe('FROM');
    const arg = instructions.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_VERSION='));
    const version = arg?.args
      .match(/^NODE_VERSION=(\d+)\.(\d+)\.(\d+)$/)
      ?.slice(1)
      .map(Number);
    expect(version, 'ARG NODE_VERSION=x.y.z').toBeDefined();
    const [a, b, c] = version!;
    expect(a * 1e6 + b * 1e3 + c).toBeGreaterThanOrEqual(20 * 1e6 + 20 * 1e3 + 2);
    const install = instructions.find((i) => i.op === 'RUN' && i.args.includes('nodejs.org/dist/v${NODE_VERSION}/'));
    expect(install?.args).toMatch(/sha256sum -c/);
    expect(install?.args).toMatch(/SHASUMS256\.txt/);
  });

  it('copies the sources before npm ci (prepare builds them), then installs rclnodejs and builds flux_ros with ROS sourced', () => {
    const copy = index((i) => i.op === 'COPY' && /^\.\s+\S+$/.test(i.args));
    const ci = index((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(copy).toBeGreaterThan(-1);
    expect(ci).toBeGreaterThan(copy);
    const rcl = instructions.find((i) => i.op === 'RUN' && i.args.includes('rclnodejs@2.2.0'))!.args;
    expect(rcl).toMatch(/npm install --no-save rclnodejs@2\.2\.0/);
    expect(rcl.indexOf('source /opt/ros/jazzy/setup.bash')).toBeGreaterThan(-1);
    expect(rcl.indexOf('source /opt/ros/jazzy/setup.bash')).toBeLessThan(rcl.indexOf('npm install --no-save rclnodejs'));
    const colcon = instructions.find((i) => i.op === 'RUN' && i.args.includes('colcon build'))!.args;
    expect(colcon.indexOf('source /opt/ros/jazzy/setup.bash')).toBeLessThan(colcon.indexOf('colcon build'));
    expect(colcon).toContain('--base-paths /opt/flux/launch');
    // `source` needs bash as the shell of RUN.
    expect(index((i) => i.op === 'SHELL' && i.args.includes('/bin/bash'))).toBeLessThan(ci);
    // The checkout lands where FLUX_HOME says.
    expect(instructions.filter((i) => i.op === 'WORKDIR').map((i) => i.args)[0]).toBe('/opt/flux');
    expect(instructions.some((i) => i.op === 'ENV' && i.args === 'FLUX_HOME=/opt/flux')).toBe(true);
  });

  it('has an entrypoint that sources ROS 2 and the overlay and runs the launch file', () => {
    const entry = instructions.filter((i) => i.op === 'ENTRYPOINT');
    expect(entry).toHaveLength(1);
    const [script] = JSON.parse(entry[0].args) as string[];
    expect(script.startsWith('/opt/flux/')).toBe(true);
    const local = join(ROOT, script.slice('/opt/flux/'.length));
    expect(existsSync(local), local).toBe(true);
    expect(statSync(local).mode & 0o111).not.toBe(0);
    const body = readFileSync(local, 'utf8');
    expect(body).toContain('source /opt/ros/jazzy/setup.bash');
    expect(body).toContain('source /opt/flux_ws/install/setup.bash');
    expect(body).toMatch(/exec ros2 launch flux_ros flux\.launch\.py "\$@"/);
    // docker stop sends what launch treats as Ctrl-C.
    expect(instructions.find((i) => i.op === 'STOPSIGNAL')?.args).toBe('SIGINT');
  });

  it('every RUN is valid bash (its SHELL)', () => {
    const runs = instructions.filter((i) => i.op === 'RUN');
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (const r of runs) {
      const check = spawnSync('bash', ['-n', '-c', r.args], { encoding: 'utf8' });
      expect(check.status, `${r.args}\n${check.stderr}`).toBe(0);
    }
  });

  it('.dockerignore leaves out node_modules, dist and .git, and nothing the build needs', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
    for (const needed of [
      'launch',
      'package.json',
      'package-lock.json',
      'bin',
      'engine',
      'bridge',
      'cli',
      'examples',
      'schema',
      'shaders',
      'tsconfig.json',
    ])
      expect(ignored).not.toContain(needed);
  });
});
