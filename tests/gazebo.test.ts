// The Gazebo twin of the built-in simulator, checked as far as a machine without Gazebo or ROS 2
// allows: arenaToSdf's worlds are well-formed XML (python3's ElementTree) with the MuJoCo arena's walls
// and obstacles, robot.ts's robot and DEFAULT_LIDAR's beams, publishing under the built-in simulator's
// topic and frame names; the committed worlds (launch/flux_ros/worlds) are current; and
// gazebo_diffdrive.launch.py compiles and declares, bridges and includes what it should (python ast).
// Regenerate the committed worlds: FLUX_UPDATE_WORLDS=1 npx vitest run tests/gazebo.test.ts
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arenaToMjcf, arenaDir, findArena, resolveArena, DEFAULT_LIDAR, FRAMES, ROBOT, TOPICS, type Arena } from '../sim/index.js';
import { arenaToSdf, builtinWorldSdf, SDF_NAMES, WORLD_SYSTEMS } from '../sim/sdf.js';
import { ROOT, tempDir } from './helpers.js';
import { requires } from './requirements.js';

const PKG = join(ROOT, 'launch/flux_ros');
const WORLDS = join(PKG, 'worlds');
const LAUNCH = join(PKG, 'launch/gazebo_diffdrive.launch.py');
const python = spawnSync('sh', ['-c', 'command -v python3']).status === 0;
if (!python) requires('python3', 'python3 not found');
const BUILTIN = readdirSync(arenaDir())
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort();

let tmp: string;
beforeAll(() => {
  tmp = tempDir('flux-gazebo-');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function py(script: string, args: string[] = [], input?: string): string {
  const r = spawnSync('python3', ['-c', script, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, PYTHONPYCACHEPREFIX: join(tmp, 'pycache') },
  });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout;
}

/** An XML element as python3's ElementTree reads it. */
interface X {
  tag: string;
  attrs: Record<string, string>;
  text: string;
  children: X[];
}

/** Parses XML documents with ElementTree: a tree each, or the parser's error. */
function parseXml(...docs: string[]): (X | { error: string })[] {
  const script = String.raw`
import json, sys, xml.etree.ElementTree as ET
def tree(e): return {'tag': e.tag, 'attrs': dict(e.attrib), 'text': (e.text or '').strip(), 'children': [tree(c) for c in e]}
out = []
for d in json.load(sys.stdin):
    try: out.append(tree(ET.fromstring(d)))
    except ET.ParseError as e: out.append({'error': str(e)})
print(json.dumps(out))`;
  return JSON.parse(py(script, [], JSON.stringify(docs)));
}

const parsed = new Map<string, X | { error: string }>();
/** Parses these documents in one python3 run (each run costs ~0.1 s) for xml() to find. */
function preparse(...docs: string[]) {
  const todo = [...new Set(docs)].filter((d) => !parsed.has(d));
  if (todo.length > 0) parseXml(...todo).forEach((t, i) => parsed.set(todo[i], t));
}
function xml(doc: string): X {
  preparse(doc);
  const t = parsed.get(doc)!;
  if ('error' in t) throw new Error(`not well-formed: ${t.error}`);
  return t;
}

const kids = (x: X, tag: string) => x.children.filter((c) => c.tag === tag);
/** The one child with this tag (and name). */
function one(x: X, tag: string, name?: string): X {
  const found = kids(x, tag).filter((c) => name === undefined || c.attrs.name === name);
  expect(found, `<${x.tag} name="${x.attrs.name ?? ''}"> has one <${tag}${name === undefined ? '' : ` name="${name}"`}>`).toHaveLength(1);
  return found[0];
}
/** Follows a path of tags ("geometry/box/size"). */
const at = (x: X, path: string) => path.split('/').reduce((n, tag) => one(n, tag), x);
const nums = (s: string) => s.trim().split(/\s+/).map(Number);
const num = (x: X, path: string) => Number(at(x, path).text);
function close(actual: number[], expected: number[], what: string) {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, i) => expect(a, `${what}[${i}]`).toBeCloseTo(expected[i], 8));
}

interface Sdf {
  root: X;
  world: X;
  arena: X;
  robot: X;
}
function sdfOf(arena: Arena): Sdf {
  const root = xml(arenaToSdf(arena));
  const world = one(root, 'world');
  return { root, world, arena: one(one(world, 'model', SDF_NAMES.arena), 'link'), robot: one(world, 'model', SDF_NAMES.robot) };
}

/** The geometry of a collision: shape and numbers (full lengths). */
function shapeOf(c: X): { shape: string; values: number[] } {
  const g = one(c, 'geometry');
  expect(g.children).toHaveLength(1);
  const s = g.children[0];
  if (s.tag === 'box') return { shape: 'box', values: nums(at(s, 'size').text) };
  if (s.tag === 'cylinder') return { shape: 'cylinder', values: [num(s, 'radius'), num(s, 'length')] };
  if (s.tag === 'sphere') return { shape: 'sphere', values: [num(s, 'radius')] };
  return { shape: s.tag, values: [] };
}

/** Every collision has a visual `<name>_visual` of the same pose and shape. */
function expectVisualsMatch(link: X) {
  for (const c of kids(link, 'collision')) {
    const vis = one(link, 'visual', `${c.attrs.name}_visual`);
    expect(at(vis, 'pose').text).toBe(at(c, 'pose').text);
    expect(one(vis, 'geometry')).toEqual(one(c, 'geometry'));
  }
}

describe.runIf(python)('arenaToSdf', () => {
  const arenas = BUILTIN.map((name) => findArena(name));
  const posed = resolveArena({ name: 'posed', size: 4, start: { x: 0.5, y: -0.3, yaw: 1 } });
  beforeAll(() =>
    preparse(
      ...[...arenas, posed].map((a) => arenaToSdf(a)),
      ...arenas.map((a) => arenaToMjcf(a)),
      ...BUILTIN.map((n) => readFileSync(join(WORLDS, `${n}.sdf`), 'utf8')),
    ),
  );

  it('gives a well-formed SDF 1.9 world with the physics and world systems gz sim 8 needs', () => {
    expect(BUILTIN).toEqual(expect.arrayContaining(['default', 'cluttered']));
    for (const arena of arenas) {
      const { root, world } = sdfOf(arena);
      expect(root.tag).toBe('sdf');
      expect(root.attrs.version).toBe('1.9');
      expect(world.attrs.name).toBe(`flux_${arena.name}`);
      expect(num(world, 'physics/max_step_size')).toBe(0.001);
      expect(num(world, 'physics/real_time_factor')).toBe(1);
      const plugins = Object.fromEntries(kids(world, 'plugin').map((p) => [p.attrs.filename, p]));
      for (const [file, name] of Object.entries(WORLD_SYSTEMS)) expect(plugins[file]?.attrs.name, file).toBe(name);
      expect(Object.keys(WORLD_SYSTEMS)).toEqual(
        expect.arrayContaining([
          'gz-sim-physics-system',
          'gz-sim-user-commands-system',
          'gz-sim-scene-broadcaster-system',
          'gz-sim-sensors-system',
          'gz-sim-imu-system',
        ]),
      );
      expect(at(plugins['gz-sim-sensors-system'], 'render_engine').text).toBe('ogre2');
      // A ground plane, a light, the arena and the robot.
      expect(
        kids(world, 'model')
          .map((m) => m.attrs.name)
          .sort(),
      ).toEqual([SDF_NAMES.arena, SDF_NAMES.robot, SDF_NAMES.ground].sort());
      expect(at(one(one(world, 'model', SDF_NAMES.ground), 'link'), 'collision/geometry/plane/normal').text).toBe('0 0 1');
      expect(kids(world, 'light')).toHaveLength(1);
      expect(at(one(world, 'model', SDF_NAMES.arena), 'static').text).toBe('true');
    }
  });

  it('has the walls and obstacles of the MuJoCo arena: same names, positions, orientations and sizes', () => {
    for (const arena of arenas) {
      const { arena: link } = sdfOf(arena);
      const mj = xml(arenaToMjcf(arena));
      const geoms = kids(one(at(mj, 'worldbody'), 'body', 'arena'), 'geom');
      expect(geoms.length).toBe(4 + arena.obstacles.length);
      expect(kids(link, 'collision').map((c) => c.attrs.name)).toEqual(geoms.map((g) => g.attrs.name));
      for (const g of geoms) {
        const c = one(link, 'collision', g.attrs.name);
        const pose = nums(at(c, 'pose').text);
        close(pose.slice(0, 3), nums(g.attrs.pos), `${g.attrs.name} position`);
        close(pose.slice(3), [0, 0, g.attrs.euler ? nums(g.attrs.euler)[2] : 0], `${g.attrs.name} orientation`);
        const half = nums(g.attrs.size);
        const { shape, values } = shapeOf(c);
        expect(shape, g.attrs.name).toBe(g.attrs.type);
        // MJCF sizes are half lengths; SDF's box sizes and cylinder lengths are full ones.
        close(values, g.attrs.type === 'box' ? half.map((x) => 2 * x) : [half[0], 2 * half[1]], `${g.attrs.name} size`);
      }
      // And straight from the arena: obstacles where the arena document puts them.
      arena.obstacles.forEach((o, i) => {
        const c = one(link, 'collision', `obstacle_${i}`);
        close(nums(at(c, 'pose').text), [o.x, o.y, o.height / 2, 0, 0, o.shape === 'box' ? o.yaw : 0], `obstacle_${i} pose`);
        close(shapeOf(c).values, o.shape === 'box' ? [o.size[0], o.size[1], o.height] : [o.radius, o.height], `obstacle_${i} size`);
      });
      const east = one(link, 'collision', 'wall_east');
      close(nums(at(east, 'pose').text), [arena.size / 2 + arena.wall.thickness / 2, 0, arena.wall.height / 2, 0, 0, 0], 'wall_east pose');
      close(shapeOf(east).values, [arena.wall.thickness, arena.size + 2 * arena.wall.thickness, arena.wall.height], 'wall_east size');
      expectVisualsMatch(link);
    }
  });

  it("has robot.ts's diff-drive robot at the start pose, driven and publishing under the built-in simulator's names", () => {
    for (const a of [...arenas, posed]) {
      const { robot } = sdfOf(a);
      close(nums(at(robot, 'pose').text), [a.start.x, a.start.y, 0, 0, 0, a.start.yaw], 'robot pose');
      expect(kids(robot, 'static')).toHaveLength(0);
      const link = (name: string) => one(robot, 'link', name);
      const joint = (name: string) => one(robot, 'joint', name);
      // base_link on the floor midway between the wheels; the chassis cylinder is the footprint.
      const base = link(FRAMES.base);
      expect(kids(base, 'pose')).toHaveLength(0);
      expect(num(base, 'inertial/mass')).toBe(ROBOT.mass);
      close(shapeOf(one(base, 'collision', 'chassis')).values, [ROBOT.bodyRadius, ROBOT.bodyTop - ROBOT.bodyBottom], 'chassis');
      for (const [side, y] of [
        ['left', ROBOT.wheelSeparation / 2],
        ['right', -ROBOT.wheelSeparation / 2],
      ] as const) {
        const wheel = link(`${side}_wheel`);
        // On the floor, ±separation/2 to the side, its axis along y.
        close(nums(at(wheel, 'pose').text), [0, y, ROBOT.wheelRadius, -Math.PI / 2, 0, 0], `${side} wheel pose`);
        close(shapeOf(one(wheel, 'collision', `${side}_wheel`)).values, [ROBOT.wheelRadius, ROBOT.wheelWidth], `${side} wheel`);
        const j = joint(`${side}_wheel_joint`);
        expect(j.attrs.type).toBe('revolute');
        expect([at(j, 'parent').text, at(j, 'child').text, at(j, 'axis/xyz').text]).toEqual([FRAMES.base, `${side}_wheel`, '0 0 1']);
        expectVisualsMatch(wheel);
      }
      const caster = link('caster');
      close(nums(at(caster, 'pose').text), [ROBOT.casterX, 0, ROBOT.casterRadius, 0, 0, 0], 'caster pose');
      close(shapeOf(one(caster, 'collision', 'caster')).values, [ROBOT.casterRadius], 'caster');
      expect(joint('caster_joint').attrs.type).toBe('ball');

      const drive = one(robot, 'plugin');
      expect(drive.attrs).toEqual({ filename: 'gz-sim-diff-drive-system', name: 'gz::sim::systems::DiffDrive' });
      const p = Object.fromEntries(drive.children.map((c) => [c.tag, c.text]));
      expect(p).toMatchObject({
        left_joint: SDF_NAMES.leftJoint,
        right_joint: SDF_NAMES.rightJoint,
        frame_id: FRAMES.odom,
        child_frame_id: FRAMES.base,
      });
      expect(Number(p.wheel_separation)).toBe(ROBOT.wheelSeparation);
      expect(Number(p.wheel_radius)).toBe(ROBOT.wheelRadius);
      expect(Number(p.odom_publish_frequency)).toBe(50);
      // gz resolves relative topics to absolute ones: cmd_vel is /cmd_vel, as the built-in sim's.
      expect(`/${p.topic}`).toBe(TOPICS.cmdVel);
      expect(`/${p.odom_topic}`).toBe(TOPICS.odom);
      expect(Number(p.max_linear_velocity)).toBeCloseTo(ROBOT.maxWheelSpeed * ROBOT.wheelRadius, 9);
      expect(Number(p.min_linear_velocity)).toBeCloseTo(-ROBOT.maxWheelSpeed * ROBOT.wheelRadius, 9);

      // The lidar: DEFAULT_LIDAR's beams on lidar_link at the built-in lidar's height.
      const lidarLink = link(FRAMES.lidar);
      close(nums(at(lidarLink, 'pose').text), [0, 0, ROBOT.lidarZ, 0, 0, 0], 'lidar_link pose');
      expect([at(joint('lidar_joint'), 'parent').text, joint('lidar_joint').attrs.type]).toEqual([FRAMES.base, 'fixed']);
      const lidar = one(lidarLink, 'sensor', SDF_NAMES.lidarSensor);
      expect(lidar.attrs.type).toBe('gpu_lidar');
      expect(`/${at(lidar, 'topic').text}`).toBe(TOPICS.scan);
      expect(at(lidar, 'gz_frame_id').text).toBe(FRAMES.lidar);
      expect(DEFAULT_LIDAR.frameId).toBe(FRAMES.lidar);
      expect(num(lidar, 'update_rate')).toBe(DEFAULT_LIDAR.rateHz);
      expect(num(lidar, 'update_rate')).toBe(10);
      const h = at(lidar, 'lidar/scan/horizontal');
      expect(num(h, 'samples')).toBe(DEFAULT_LIDAR.samples);
      expect(num(h, 'samples')).toBe(360);
      close([num(h, 'min_angle'), num(h, 'max_angle')], [DEFAULT_LIDAR.angleMin, DEFAULT_LIDAR.angleMax], 'lidar angles');
      expect(num(lidar, 'lidar/scan/vertical/samples')).toBe(1);
      close(
        [num(lidar, 'lidar/range/min'), num(lidar, 'lidar/range/max')],
        [DEFAULT_LIDAR.rangeMin, DEFAULT_LIDAR.rangeMax],
        'lidar range',
      );
      expect(kids(at(lidar, 'lidar'), 'noise')).toHaveLength(DEFAULT_LIDAR.noiseStddev > 0 ? 1 : 0);

      // The IMU: 100 Hz on imu_link at the built-in IMU's height.
      const imuLink = link(FRAMES.imu);
      close(nums(at(imuLink, 'pose').text), [0, 0, ROBOT.imuZ, 0, 0, 0], 'imu_link pose');
      expect([at(joint('imu_joint'), 'parent').text, joint('imu_joint').attrs.type]).toEqual([FRAMES.base, 'fixed']);
      const imu = one(imuLink, 'sensor', SDF_NAMES.imuSensor);
      expect(imu.attrs.type).toBe('imu');
      expect(`/${at(imu, 'topic').text}`).toBe(TOPICS.imu);
      expect(at(imu, 'gz_frame_id').text).toBe(FRAMES.imu);
      expect(num(imu, 'update_rate')).toBe(100);

      // Every link has an explicit inertial (gz would give a missing one 1 kg).
      for (const l of kids(robot, 'link')) expect(num(l, 'inertial/mass'), l.attrs.name).toBeGreaterThan(0);
      // Joints connect links that exist, all to base_link.
      const links = kids(robot, 'link').map((l) => l.attrs.name);
      for (const j of kids(robot, 'joint'))
        expect([at(j, 'parent').text, links.includes(at(j, 'child').text)], j.attrs.name).toEqual([FRAMES.base, true]);
    }
  });

  it('is deterministic, follows the seed, passes a lidar noise and escapes names and comments', () => {
    const a = findArena('cluttered');
    expect(arenaToSdf(a)).toBe(arenaToSdf(findArena('cluttered')));
    expect(arenaToSdf(findArena('cluttered', 3))).not.toBe(arenaToSdf(a));
    // A name with XML and topic specials, a comment with "--" and a trailing "-".
    const odd = resolveArena({ name: 'a<b> & "c" \'d\' é/x', size: 3 });
    const text = arenaToSdf(odd, ROBOT, DEFAULT_LIDAR, { comment: 'from a--b -> c-' });
    const noisyText = arenaToSdf(a, ROBOT, { ...DEFAULT_LIDAR, noiseStddev: 0.01 });
    const broken = '<sdf><world></sdf>';
    preparse(noisyText, text, broken);
    const noisy = xml(noisyText);
    const lidar = one(one(one(one(noisy, 'world'), 'model', SDF_NAMES.robot), 'link', FRAMES.lidar), 'sensor');
    expect(num(lidar, 'lidar/noise/stddev')).toBe(0.01);
    expect(one(xml(text), 'world').attrs.name).toMatch(/^flux_[A-Za-z0-9_]+$/);
    expect(text.split('\n')[1]).toMatch(/^<!-- from a- -b -> c- {2}-->$/);
    // The parser does reject what is not well-formed.
    expect(parsed.get(broken)).toHaveProperty('error');
  });
});

describe.runIf(python)('committed Gazebo worlds', () => {
  it('launch/flux_ros/worlds has one world per built-in arena, equal to a fresh generation', () => {
    if (process.env.FLUX_UPDATE_WORLDS) {
      for (const f of readdirSync(WORLDS)) if (f.endsWith('.sdf')) rmSync(join(WORLDS, f));
      for (const name of BUILTIN) writeFileSync(join(WORLDS, `${name}.sdf`), builtinWorldSdf(name));
    }
    expect(
      readdirSync(WORLDS)
        .filter((f) => f.endsWith('.sdf'))
        .sort(),
    ).toEqual(BUILTIN.map((n) => `${n}.sdf`));
    for (const name of BUILTIN) {
      const text = readFileSync(join(WORLDS, `${name}.sdf`), 'utf8');
      expect(text, `${name}.sdf is stale: FLUX_UPDATE_WORLDS=1 npx vitest run tests/gazebo.test.ts`).toBe(builtinWorldSdf(name));
      expect(text.split('\n')[1]).toContain(`from examples/arenas/${name}.yaml; do not edit`);
    }
    // Installed where the launch file looks (share/flux_ros/worlds).
    expect(readFileSync(join(PKG, 'CMakeLists.txt'), 'utf8')).toMatch(
      /^install\(DIRECTORY worlds DESTINATION share\/\$\{PROJECT_NAME\}\)$/m,
    );
  });
});

// Launch files compiled (as py_compile does, without writing bytecode) and read with ast: for each,
// every DeclareLaunchArgument, SetLaunchConfiguration, Node and
// IncludeLaunchDescription call, its arguments rendered as JSON (a LaunchConfiguration as {var},
// any other call as {call, args, ...keywords}, `{...}.items()` as the dict).
const DESCRIBE_LAUNCH = String.raw`
import ast, json, sys
def fname(f): return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
def val(n):
    if isinstance(n, ast.Constant): return n.value
    if isinstance(n, (ast.List, ast.Tuple)): return [val(e) for e in n.elts]
    if isinstance(n, ast.Dict): return {val(k): val(v) for k, v in zip(n.keys, n.values)}
    if isinstance(n, ast.Call):
        f = fname(n.func)
        if f == 'items' and isinstance(n.func, ast.Attribute) and not n.args: return val(n.func.value)
        kw = {k.arg: val(k.value) for k in n.keywords}
        if f == 'LaunchConfiguration': return {'var': val(n.args[0]), **kw}
        return {'call': f, 'args': [val(a) for a in n.args], **kw}
    return {'unsupported': ast.dump(n)}
KINDS = ('DeclareLaunchArgument', 'SetLaunchConfiguration', 'Node', 'IncludeLaunchDescription')
files = []
for path in sys.argv[1:]:
    src = open(path).read()
    compile(src, path, 'exec')
    tree = ast.parse(src, path)
    out = {'functions': [f.name for f in tree.body if isinstance(f, ast.FunctionDef)], 'calls': [], 'vars': []}
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and fname(n.func) in KINDS: out['calls'].append(val(n))
        if isinstance(n, ast.Call) and fname(n.func) == 'LaunchConfiguration': out['vars'].append(val(n.args[0]))
    files.append(out)
print(json.dumps(files))
`;

type V = string | boolean | number | null | V[] | { [k: string]: V };
interface Call {
  call: string;
  args: V[];
  [k: string]: V;
}
interface LaunchInfo {
  functions: string[];
  calls: Call[];
  vars: string[];
}

/** A substitution evaluated as launch would, with these launch configurations and $(share) for FindPackageShare. */
function evaluate(v: V, config: Record<string, string>): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => evaluate(x, config)).join('');
  if (v && typeof v === 'object') {
    if (typeof v.var === 'string') {
      const value = config[v.var] ?? (typeof v.default === 'string' ? v.default : undefined);
      if (value === undefined) throw new Error(`launch configuration ${v.var} is not set`);
      return value;
    }
    if (v.call === 'FindPackageShare') return `$(share ${evaluate((v.args as V[])[0], config)})`;
    if (v.call === 'PathJoinSubstitution') return ((v.args as V[])[0] as V[]).map((x) => evaluate(x, config)).join('/');
  }
  throw new Error(`cannot evaluate ${JSON.stringify(v)}`);
}

describe.runIf(python)('gazebo_diffdrive.launch.py', () => {
  let info: LaunchInfo;
  let fluxArgs: Record<string, V>;
  beforeAll(() => {
    let flux: LaunchInfo;
    [info, flux] = JSON.parse(py(DESCRIBE_LAUNCH, [LAUNCH, join(PKG, 'launch/flux.launch.py')])) as LaunchInfo[];
    fluxArgs = Object.fromEntries(
      flux.calls.filter((c) => c.call === 'DeclareLaunchArgument').map((c) => [c.args[0] as string, c.default_value]),
    );
  });
  const calls = (kind: string) => info.calls.filter((c) => c.call === kind);
  const declared = () => Object.fromEntries(calls('DeclareLaunchArgument').map((c) => [c.args[0] as string, c.default_value]));

  it('compiles and declares arena, world, headless, bridge, circuit and backend', () => {
    expect(info.functions).toContain('generate_launch_description');
    expect(JSON.stringify(info.calls)).not.toContain('unsupported');
    const args = declared();
    expect(Object.keys(args).sort()).toEqual(['arena', 'backend', 'bridge', 'circuit', 'headless', 'world']);
    expect(args.arena).toBe('default');
    expect(args.headless).toBe('false');
    // The world defaults to the installed world of the arena, which exists for every built-in arena.
    expect(evaluate(args.world, { arena: 'default' })).toBe('$(share flux_ros)/worlds/default.sdf');
    expect(evaluate(args.world, { arena: 'cluttered' })).toBe('$(share flux_ros)/worlds/cluttered.sdf');
    // What it passes on to flux.launch.py defaults as there.
    for (const name of ['bridge', 'circuit', 'backend']) expect(args[name], name).toEqual(fluxArgs[name]);
    // Every launch configuration used is declared or set here.
    const set = calls('SetLaunchConfiguration').map((c) => c.args[0] as string);
    for (const v of info.vars) expect([...Object.keys(args), ...set], v).toContain(v);
  });

  it('starts gz sim -r on the world through ros_gz_sim, with -s when headless', () => {
    const gz = calls('IncludeLaunchDescription').filter(
      (c) => evaluate((c.args[0] as Call).args[0], {}) === '$(share ros_gz_sim)/launch/gz_sim.launch.py',
    );
    expect(gz).toHaveLength(1);
    expect((gz[0].args[0] as Call).call).toBe('PythonLaunchDescriptionSource');
    const la = gz[0].launch_arguments as Record<string, V>;
    expect(la.on_exit_shutdown).toBe('true');
    // headless sets gz_server_only to "-s " (IfCondition on headless); otherwise it is unset.
    const [setServer] = calls('SetLaunchConfiguration');
    expect(setServer.args).toEqual(['gz_server_only', '-s ']);
    expect(setServer.condition).toEqual({ call: 'IfCondition', args: [{ var: 'headless' }] });
    expect(evaluate(la.gz_args, { world: '/w/default.sdf' })).toBe('-r /w/default.sdf');
    expect(evaluate(la.gz_args, { world: '/w/default.sdf', gz_server_only: '-s ' })).toBe('-r -s /w/default.sdf');
  });

  it("bridges cmd_vel to Gazebo and scan, odom, imu and clock from it, under the built-in simulator's names and types", () => {
    const nodes = calls('Node');
    expect(nodes).toHaveLength(1);
    const bridge = nodes[0];
    expect([bridge.package, bridge.executable]).toEqual(['ros_gz_bridge', 'parameter_bridge']);
    // topic@ROS type, then ] (ROS -> gz), [ (gz -> ROS) or @ (both), then the gz type.
    const mappings = (bridge.arguments as string[]).map((a) => {
      const m = /^(\/[^@[\]]+)@([^@[\]]+)([@[\]])([^@[\]]+)$/.exec(a);
      expect(m, a).not.toBeNull();
      return { topic: m![1], ros: m![2], dir: m![3], gz: m![4] };
    });
    expect(mappings).toEqual(
      expect.arrayContaining([
        { topic: TOPICS.cmdVel, ros: 'geometry_msgs/msg/Twist', dir: ']', gz: 'gz.msgs.Twist' },
        { topic: TOPICS.scan, ros: 'sensor_msgs/msg/LaserScan', dir: '[', gz: 'gz.msgs.LaserScan' },
        { topic: TOPICS.odom, ros: 'nav_msgs/msg/Odometry', dir: '[', gz: 'gz.msgs.Odometry' },
        { topic: TOPICS.imu, ros: 'sensor_msgs/msg/Imu', dir: '[', gz: 'gz.msgs.IMU' },
        { topic: TOPICS.clock, ros: 'rosgraph_msgs/msg/Clock', dir: '[', gz: 'gz.msgs.Clock' },
      ]),
    );
    expect(mappings).toHaveLength(5);
    // The gz side of each bridged topic is what the world publishes or subscribes to.
    const world = xml(readFileSync(join(WORLDS, 'default.sdf'), 'utf8'));
    const robot = one(one(world, 'world'), 'model', SDF_NAMES.robot);
    const drive = one(robot, 'plugin');
    const gzTopics = [
      at(drive, 'topic').text,
      at(drive, 'odom_topic').text,
      at(one(one(robot, 'link', FRAMES.lidar), 'sensor'), 'topic').text,
      at(one(one(robot, 'link', FRAMES.imu), 'sensor'), 'topic').text,
    ];
    expect(gzTopics.map((t) => `/${t}`).sort()).toEqual(
      mappings
        .filter((m) => m.topic !== TOPICS.clock)
        .map((m) => m.topic)
        .sort(),
    );
  });

  it('includes flux.launch.py with use_sim_time true, a plain Twist, and the bridge, circuit and backend arguments', () => {
    const flux = calls('IncludeLaunchDescription').filter(
      (c) => evaluate((c.args[0] as Call).args[0], {}) === '$(share flux_ros)/launch/flux.launch.py',
    );
    expect(flux).toHaveLength(1);
    const la = flux[0].launch_arguments as Record<string, V>;
    expect(la).toEqual({
      bridge: { var: 'bridge' },
      circuit: { var: 'circuit' },
      backend: { var: 'backend' },
      use_sim_time: 'true',
      stamped: 'false',
    });
    // Each is an argument flux.launch.py declares.
    for (const name of Object.keys(la)) expect(Object.keys(fluxArgs), name).toContain(name);
  });
});
