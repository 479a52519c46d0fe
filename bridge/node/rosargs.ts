// ROS 2 command-line arguments (`--ros-args ... [--]`), as rcl reads them: launch_ros passes the node
// name, namespace, remaps and parameter files this way. Flux splits them from its own options (its
// option parser would refuse them), hands them untouched to rcl on the ROS transport, and applies
// them itself on the others (memory, simulated robot), so a launch line means the same everywhere.
// rcl's grammar is small and fixed (design doc "ROS command line arguments"); no npm package parses it.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export class RosArgsError extends Error {}

export interface Remap {
  /** Only for this node (`talker:chatter:=/x`), or every node. */
  node?: string;
  from: string;
  to: string;
}

export interface RosArgs {
  /** From `-r __node:=name` (or `__name`). */
  nodeName?: string;
  /** From `-r __ns:=/ns`. */
  namespace?: string;
  remaps: Remap[];
  /** `-p name:=value`, value read as YAML as rcl does. */
  params: { node?: string; name: string; value: unknown }[];
  paramsFiles: string[];
  /** Everything else rcl accepts (log levels, enclave), kept to pass on. */
  other: string[];
}

const FLAGS_WITH_VALUE = new Set(['--params-file', '-e', '--enclave', '--log-level', '--log-config-file', '--log-file-name']);
const FLAGS_ALONE = new Set([
  '--enable-rosout-logs',
  '--disable-rosout-logs',
  '--enable-stdout-logs',
  '--disable-stdout-logs',
  '--enable-external-lib-logs',
  '--disable-external-lib-logs',
]);

/** Splits argv into the program's own arguments and the ROS ones (with their --ros-args markers). */
export function splitRosArgs(argv: string[]): { own: string[]; ros: string[] } {
  const own: string[] = [];
  const ros: string[] = [];
  let inRos = false;
  for (const a of argv) {
    if (a === '--ros-args') {
      inRos = true;
      ros.push(a);
    } else if (inRos && a === '--') {
      inRos = false;
      ros.push(a);
    } else (inRos ? ros : own).push(a);
  }
  return { own, ros };
}

function rule(text: string, flag: string): { node?: string; name: string; value: string } {
  const at = text.indexOf(':=');
  if (at <= 0) throw new RosArgsError(`${flag} ${text}: expected [node:]name:=value`);
  const lhs = text.slice(0, at);
  const value = text.slice(at + 2);
  // A node prefix is "node:" before the name; names themselves contain no ':'.
  const colon = lhs.indexOf(':');
  return colon > 0 ? { node: lhs.slice(0, colon), name: lhs.slice(colon + 1), value } : { name: lhs, value };
}

const NAME = /^(~|~\/)?[A-Za-z_/][A-Za-z0-9_/{}]*$/;

/** Parses the ROS arguments (as split by splitRosArgs); throws RosArgsError naming the bad argument. */
export function parseRosArgs(ros: string[]): RosArgs {
  const out: RosArgs = { remaps: [], params: [], paramsFiles: [], other: [] };
  for (let i = 0; i < ros.length; i++) {
    const a = ros[i];
    if (a === '--ros-args' || a === '--') continue;
    const next = () => {
      const v = ros[++i];
      if (v === undefined || v === '--' || v === '--ros-args') throw new RosArgsError(`${a} needs a value`);
      return v;
    };
    if (a === '-r' || a === '--remap') {
      const r = rule(next(), a);
      if (r.name === '__node' || r.name === '__name') {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(r.value)) throw new RosArgsError(`${a} ${r.name}:=${r.value}: not a valid node name`);
        out.nodeName = r.value;
      } else if (r.name === '__ns') {
        if (!/^\/([A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*)?$/.test(r.value))
          throw new RosArgsError(`${a} __ns:=${r.value}: a namespace is absolute, like /robot1`);
        out.namespace = r.value;
      } else {
        if (!NAME.test(r.name) || !NAME.test(r.value)) throw new RosArgsError(`${a} ${r.name}:=${r.value}: not a valid topic name`);
        out.remaps.push({ node: r.node, from: r.name, to: r.value });
      }
    } else if (a === '-p' || a === '--param') {
      const r = rule(next(), a);
      let value: unknown;
      try {
        value = parseYaml(r.value);
      } catch (e) {
        throw new RosArgsError(`${a} ${r.name}:=${r.value}: ${(e as Error).message}`);
      }
      out.params.push({ node: r.node, name: r.name, value });
    } else if (a === '--params-file') out.paramsFiles.push(next());
    else if (FLAGS_WITH_VALUE.has(a)) out.other.push(a, next());
    else if (FLAGS_ALONE.has(a)) out.other.push(a);
    else throw new RosArgsError(`unknown ROS argument "${a}" (after --ros-args; end them with -- before program options)`);
  }
  return out;
}

/** The fully qualified name of a topic, as rcl expands it (~ is the node's private namespace). */
export function expandTopic(name: string, nodeName: string, namespace: string): string {
  const ns = namespace === '/' ? '' : namespace.replace(/\/$/, '');
  if (name.startsWith('/')) return name;
  if (name === '~') return `${ns}/${nodeName}`;
  if (name.startsWith('~/')) return `${ns}/${nodeName}/${name.slice(2)}`;
  return `${ns}/${name}`;
}

/** Name resolution with remapping, as rcl does it: the first matching rule wins. */
export function resolveTopic(name: string, args: Pick<RosArgs, 'remaps'>, nodeName: string, namespace: string): string {
  const full = expandTopic(name, nodeName, namespace);
  for (const r of args.remaps) {
    if (r.node && r.node !== nodeName) continue;
    if (expandTopic(r.from, nodeName, namespace) === full) return expandTopic(r.to, nodeName, namespace);
  }
  return full;
}

/** Names every object inherits: as parameter names they would reach a prototype, not a parameter. */
const INHERITED = new Set(['__proto__', 'constructor', 'prototype']);

/** Flattens ROS parameter YAML (nested maps become dotted names); a prototype name is refused. */
function flatten(obj: Record<string, unknown>, file: string, prefix = '', into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (INHERITED.has(k)) throw new RosArgsError(`${file}: parameter "${name}": "${k}" is not allowed in a parameter name`);
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, file, name, into);
    else into[name] = v;
  }
  return into;
}

/**
 * The parameters a params file gives this node: sections under `/**`, the node's name, or its fully
 * qualified name, each with `ros__parameters`; later sections override earlier ones, as in rcl.
 */
export function paramsForNode(file: string, nodeName: string, namespace: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RosArgsError(`${file}: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object') throw new RosArgsError(`${file}: expected a map of node names to { ros__parameters: ... }`);
  const fqn = expandTopic(nodeName, nodeName, namespace);
  const out: Record<string, unknown> = {};
  for (const [key, section] of Object.entries(doc as Record<string, unknown>)) {
    const matches =
      key === '/**' ||
      key === '**' ||
      key === nodeName ||
      key === fqn ||
      key === `/${nodeName}` ||
      (key.endsWith('/**') && fqn.startsWith(key.slice(0, -2)));
    if (!matches) continue;
    const p = (section as { ros__parameters?: unknown } | null)?.ros__parameters;
    if (!p || typeof p !== 'object') throw new RosArgsError(`${file}: /${key}: expected ros__parameters`);
    Object.assign(out, flatten(p as Record<string, unknown>, file));
  }
  return out;
}
