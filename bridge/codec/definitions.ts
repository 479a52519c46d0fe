// ROS 2 message definitions: from the installed packages' .msg files when ROS 2 is sourced (the robot's
// own distro, which matters: sensor_msgs/Range gained `variance` in jazzy), otherwise from the humble or
// jazzy sets shipped in @foxglove/rosmsg-msgs-common. Extra .msg folders (e.g. Debian's
// ros2-test-interface-files) can be named explicitly.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@foxglove/rosmsg';
import type { MessageDefinition } from '@foxglove/message-definition';
import * as common from '@foxglove/rosmsg-msgs-common';

export type Distro = 'humble' | 'jazzy';

export interface DefinitionSource {
  /** Fallback set when a type is not found in ROS 2's installed packages (default: jazzy). */
  distro?: Distro;
  /** Folders holding `<pkg>/msg/<Type>.msg` (an ament prefix's `share/`) or plain `<Type>.msg` files for a given package. */
  msgPaths?: { dir: string; package?: string }[];
  /** Ament prefixes to search (default: $AMENT_PREFIX_PATH when set). */
  amentPrefixes?: string[];
}

/** "sensor_msgs/msg/LaserScan" or "sensor_msgs/LaserScan" -> ["sensor_msgs", "LaserScan"]. */
export function splitType(type: string): [string, string] {
  const parts = type.split('/').filter((p) => p !== 'msg');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new Error(`"${type}" is not a ROS 2 message type (expected package/msg/Type)`);
  return [parts[0], parts[1]];
}

function msgFile(pkg: string, name: string, src: DefinitionSource): string | null {
  for (const p of src.msgPaths ?? []) {
    const f = p.package ? (p.package === pkg ? join(p.dir, `${name}.msg`) : null) : join(p.dir, pkg, 'msg', `${name}.msg`);
    if (f && existsSync(f)) return f;
  }
  // A page has no process, no environment and no ROS install: the shipped sets only.
  const sourced = typeof process === 'undefined' ? undefined : process.env.AMENT_PREFIX_PATH;
  const prefixes = src.amentPrefixes ?? (sourced ? sourced.split(':') : []);
  for (const prefix of prefixes) {
    const f = join(prefix, 'share', pkg, 'msg', `${name}.msg`);
    if (existsSync(f)) return f;
  }
  return null;
}

/** One type's own definition (not its dependencies), and where it came from. */
function own(type: string, src: DefinitionSource): { def: MessageDefinition; from: string } {
  const [pkg, name] = splitType(type);
  const file = msgFile(pkg, name, src);
  if (file) {
    // skipTypeFixup: the parser would look for nested types inside this one file and fail; they are
    // qualified below and loaded from their own files by the caller.
    const [root] = parse(readFileSync(file, 'utf8'), { ros2: true, skipTypeFixup: true });
    // Unqualified field types in a .msg name types of the same package.
    for (const f of root.definitions) if (f.isComplex && !f.type.includes('/')) f.type = `${pkg}/${f.type}`;
    return { def: { ...root, name: `${pkg}/${name}` }, from: file };
  }
  const distro = src.distro ?? 'jazzy';
  const set = (distro === 'humble' ? common.ros2humble : common.ros2jazzy) as Record<string, MessageDefinition>;
  const def = set[`${pkg}/${name}`];
  if (!def)
    throw new Error(`no definition for ${pkg}/msg/${name}: not in the installed ROS 2 packages and not in the shipped ${distro} set`);
  return { def: structuredClone(def), from: `shipped ${distro} set` };
}

/** The definitions a reader or writer needs: the root type first, then every type it uses. */
export function definitionsFor(
  type: string,
  src: DefinitionSource = {},
): { definitions: MessageDefinition[]; sources: Record<string, string> } {
  const [pkg, name] = splitType(type);
  const root = `${pkg}/${name}`;
  const out = new Map<string, MessageDefinition>();
  const sources: Record<string, string> = {};
  const visit = (t: string) => {
    if (out.has(t)) return;
    const { def, from } = own(t, src);
    out.set(t, def);
    sources[t] = from;
    for (const f of def.definitions) if (f.isComplex && !f.isConstant) visit(f.type);
  };
  visit(root);
  return { definitions: [...out.values()], sources };
}

/** Every message type of a shipped set, as "package/msg/Type" (what a document may name without ROS installed). */
export function shippedTypes(distro: Distro = 'jazzy'): string[] {
  const set = (distro === 'humble' ? common.ros2humble : common.ros2jazzy) as Record<string, MessageDefinition>;
  return Object.keys(set)
    .map((k) => k.split('/'))
    .filter((p) => p.length === 2)
    .map(([pkg, name]) => `${pkg}/msg/${name}`)
    .sort();
}
