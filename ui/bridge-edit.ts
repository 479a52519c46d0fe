// The IDE's side of bridge editing: the running node's bridge document (its inputs bound to topics
// or device fields, its outputs to message fields, its serial devices and boards), the topics the live
// graph has, the field paths a message type offers, and setting or removing one binding. A binding set
// from the page is checked as a whole document (loadBridge: the circuit's inputs and populations, the
// message definition, every limit), built and swapped in (the robot's safe command first); Save writes
// it with the circuit.
import type { MessageDefinition } from '@foxglove/message-definition';
import { isAbsolute } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadBridge } from '../bridge/config.js';
import { definitionsFor, shippedTypes, type DefinitionSource } from '../bridge/codec/definitions.js';
import type { TopicInfo } from '../bridge/transport/transport.js';
import { isPlainObject } from '../engine/circuit/merge.js';
import { BINDING_SECTIONS, RebuildFailed, RefusedEdit, checkName } from './session.js';
export { BINDING_SECTIONS, type BindingSection } from './session.js';
import { withElement } from './document-sections.js';
import { ideFiles } from './files.js';

/** What the IDE needs of a node to edit its bridge (FluxNode has it). */
export interface BridgeHost {
  /** The node's bridge document: its file, its text, and whether that is the file's (edits stay in memory until Save). */
  bridgeDocument(): { file: string; text: string; saved: boolean };
  reloadBridgeFrom(text: string, circuitText?: string, binding?: { section: 'inputs' | 'outputs'; name: string }): Promise<void>;
  readonly transport: { topics?(): TopicInfo[] };
  /** Whether this node drives hardware, so that the page may declare and bind devices (flux run; not flux edit, nor next to the sim). */
  readonly devices: boolean;
  readonly loaded: { circuitFile: string; config: { definitions?: DefinitionSource } };
}

/**
 * A serial device node a page may name: a USB or on-board serial port, a by-id or by-path link, a
 * pseudo-terminal. Checked on the path a link leads to, which must also be a character device: a
 * request must not make the node open (and write to) any other file.
 */
// Not /dev/tty itself (the process's own terminal); no "." or ".." segment (a name not there yet is taken as written).
const SERIAL_NODE =
  /^\/dev\/(tty[A-Za-z0-9_-][A-Za-z0-9_.-]{0,31}|serial\/by-(id|path)\/(?!\.\.?$)[A-Za-z0-9_.:+-]{1,200}|pts\/\d{1,6}|cu\.[A-Za-z0-9_.-]{1,64})$/;

function checkDevicePath(where: string, path: unknown): void {
  if (path === undefined) return;
  const refuse = () =>
    new RefusedEdit(
      `${where}: a serial device (/dev/ttyUSB0, /dev/ttyACM0, /dev/serial/by-id/..., or a link to one), not another file`,
      400,
    );
  if (typeof path !== 'string' || path.length > 400 || !isAbsolute(path)) throw refuse();
  let real: string;
  try {
    real = ideFiles().realpath(path);
  } catch {
    // Not there now (a board unplugged): the node retries until it appears, so the name itself must be a serial node's.
    if (!SERIAL_NODE.test(path)) throw refuse();
    return;
  }
  if (!SERIAL_NODE.test(real) || !ideFiles().isCharacterDevice(real)) throw refuse();
}

/** The ports a device declaration names (a serial device's path, a board's port), checked. */
function checkDevice(name: string, value: Record<string, unknown>): void {
  const serial = isPlainObject(value.serial) ? value.serial : undefined;
  const board = isPlainObject(value.board) ? value.board : undefined;
  checkDevicePath(`devices.${name}.serial.path`, serial?.path);
  checkDevicePath(`devices.${name}.board.port`, board?.port);
}

export interface BridgeView {
  file: string;
  /** Whether the file holds what runs (bindings edited in the page are written by Save). */
  saved: boolean;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  devices: Record<string, unknown>;
  /** Whether the page may declare devices here (see BridgeHost.devices). */
  devicesAllowed: boolean;
}

/** The bindings as the document writes them (YAML or JSON), for the page's forms. */
export function bridgeView(host: BridgeHost): BridgeView {
  const d = host.bridgeDocument();
  const doc = parseLoose(d.file, d.text);
  const table = (k: string): Record<string, unknown> => (isPlainObject(doc[k]) ? (doc[k] as Record<string, unknown>) : {});
  return {
    file: d.file,
    saved: d.saved,
    inputs: table('inputs'),
    outputs: table('outputs'),
    devices: table('devices'),
    devicesAllowed: host.devices,
  };
}

/** The node's own document (it passed the checks when the node started); nothing from a request. */
function parseLoose(file: string, text: string): Record<string, unknown> {
  try {
    const doc = /\.json$/i.test(file) ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
    return isPlainObject(doc) ? doc : {};
  } catch {
    return {};
  }
}

/** The live graph's topics with their types; null where the transport cannot list them. */
export function graphTopics(host: BridgeHost): TopicInfo[] | null {
  return host.transport.topics ? host.transport.topics() : null;
}

/** Every message type a binding can name without ROS installed, for the type field's completion. */
export function knownTypes(): string[] {
  return shippedTypes();
}

export interface FieldInfo {
  /** A field path as bindings write it (`linear.x`, `ranges[0:10]`). */
  path: string;
  /** The field's ROS type (`float32[]`, `geometry_msgs/Vector3`). */
  type: string;
  /** Whether reading it gives numbers (a number field, an array of them, or a message of numbers). */
  numeric: boolean;
}

const NUMERIC = /^(u?int(8|16|32|64)|float(32|64)|byte|char|bool|time|duration)$/;
const TYPE_TEXT = /^[A-Za-z][A-Za-z0-9_]{0,99}\/(msg\/)?[A-Za-z][A-Za-z0-9_]{0,99}$/;
/** Bounds on the completion list: nested messages deeper than this, or more paths, are left out. */
const MAX_DEPTH = 6;
const MAX_FIELDS = 400;

/**
 * The field paths of a message type, for completion: every field, nested messages by their dotted
 * path, arrays of numbers as a slice (`ranges[0:10]`: the page edits the bounds). Throws RefusedEdit
 * for a type that is not a message type or has no definition.
 */
export function fieldPaths(type: unknown, src: DefinitionSource = {}): FieldInfo[] {
  if (typeof type !== 'string' || !TYPE_TEXT.test(type)) throw new RefusedEdit('type: a ROS 2 message type (package/msg/Type)', 400);
  let defs: MessageDefinition[];
  try {
    defs = definitionsFor(type, src).definitions;
  } catch (e) {
    throw new RefusedEdit((e as Error).message, 404);
  }
  const byName = new Map(defs.map((d) => [d.name ?? '', d]));
  const out: FieldInfo[] = [];
  const walk = (def: MessageDefinition, prefix: string, depth: number): boolean => {
    for (const f of def.definitions) {
      if (f.isConstant) continue;
      if (out.length >= MAX_FIELDS) return false;
      const path = prefix ? `${prefix}.${f.name}` : f.name;
      const arr = f.isArray ? `[${f.arrayLength ?? ''}]` : '';
      const nested = f.isComplex ? byName.get(f.type) : undefined;
      const numeric = NUMERIC.test(f.type) || (nested !== undefined && isNumericMessage(nested));
      if (f.isArray) {
        out.push({ path: `${path}[0:${Math.min(f.arrayLength ?? 10, 10)}]`, type: `${f.type}${arr}`, numeric: NUMERIC.test(f.type) });
        continue;
      }
      out.push({ path, type: f.type, numeric });
      if (nested && depth < MAX_DEPTH && !walk(nested, path, depth + 1)) return false;
    }
    return true;
  };
  const root = defs[0];
  if (root) walk(root, '', 0);
  return out;
}

/** A message whose fields are all plain numbers (Vector3, Quaternion): a path may end on it (read as a vector). */
function isNumericMessage(def: MessageDefinition): boolean {
  return def.definitions.every((f) => f.isConstant || (!f.isArray && !f.isComplex && NUMERIC.test(f.type)));
}

/**
 * Sets (or, with null, removes) the input or output binding `name` of the node's bridge document.
 * Refused before anything is built when the section, name or value is malformed, or when the
 * document with it fails its checks (CircuitError, naming the document and the path). `circuitText`
 * carries the running circuit's live edits into the new engine.
 */
export async function setBinding(
  host: BridgeHost,
  section: unknown,
  name: unknown,
  value: unknown,
  circuitText: string | undefined,
): Promise<{ bound: string; file: string }> {
  if (typeof section !== 'string' || !(BINDING_SECTIONS as readonly string[]).includes(section))
    throw new RefusedEdit(`section: one of ${BINDING_SECTIONS.join(', ')}`, 400);
  checkName(name);
  if (value !== null && !isPlainObject(value))
    throw new RefusedEdit('value: the binding as an object, as in a bridge document (or null to remove it)', 400);
  // Links to other processes reach other machines: they belong in the document, written by hand, not
  // in a request (as /api/extensions refuses I/O nodes). Devices reach hardware: only where the node
  // drives it, on serial device nodes.
  if (value !== null && section !== 'devices' && Object.hasOwn(value, 'from'))
    throw new RefusedEdit(`${section}.${name}.from: write links to other processes in the bridge document itself`, 400);
  if (value !== null && (section === 'devices' || Object.hasOwn(value, 'device')) && !host.devices)
    throw new RefusedEdit(
      `${section}.${name}: this node drives no hardware (flux edit, or beside the simulated robot): declare devices where flux run drives them`,
      400,
    );
  if (value !== null && section === 'devices') checkDevice(name, value);
  const d = host.bridgeDocument();
  const current = parseLoose(d.file, d.text)[section];
  if (value === null && !(isPlainObject(current) && Object.hasOwn(current, name)))
    throw new RefusedEdit(`${section}.${name} does not exist`, 409);
  const next = withElement(d.file, d.text, section, name, value);
  // Throws CircuitError naming the document, the binding's path and what was expected; nothing is built.
  loadBridge(d.file, host.loaded.circuitFile, next, circuitText);
  try {
    await host.reloadBridgeFrom(next, circuitText, section === 'devices' ? undefined : { section: section as 'inputs' | 'outputs', name });
  } catch (e) {
    throw new RebuildFailed(`the bridge with ${section}.${name} did not start; the running one goes on: ${(e as Error).message}`, 400);
  }
  return { bound: `${section}.${name}`, file: d.file };
}
