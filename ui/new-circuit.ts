// New circuits from the IDE: the documents an empty circuit and its bridge start as (flux edit uses
// them for a file that does not exist), and "New circuit" in the page, which creates one beside the
// open circuit and switches the node to it.
import { basename, dirname, join, relative, sep } from 'node:path';
import { RebuildFailed, RefusedEdit, checkName } from './session.js';
import { ideFiles } from './files.js';

/** The document an absent circuit file starts as: a name and a step, nothing else. */
export function emptyCircuit(file: string): string {
  const name = basename(file).replace(/\.(ya?ml|json)$/i, '') || 'circuit';
  if (/\.json$/i.test(file)) return `${JSON.stringify({ name, dt: '0.1 ms', populations: {} }, null, 2)}\n`;
  return `# A circuit made in the Flux IDE (flux edit)\nname: ${JSON.stringify(name)}\ndt: 0.1 ms\npopulations: {}\n`;
}

/** The bridge document flux edit uses for `circuit` unless told: `<name>.bridge.yaml` beside it. */
export function defaultBridgeFile(circuit: string): string {
  return join(dirname(circuit), `${basename(circuit).replace(/\.(ya?ml|json)$/i, '')}.bridge.yaml`);
}

/** A bridge document that binds nothing yet: kept in memory until bindings are saved. */
export function startingBridge(bridge: string, circuit: string): string {
  // Relative to the bridge document, where loadBridge resolves it (--bridge may sit elsewhere).
  const rel = relative(dirname(bridge), circuit).split(sep).join('/');
  return `# The bindings of ${basename(circuit)} to a robot's topics (written by flux edit)\ncircuit: ${JSON.stringify(rel.startsWith('.') ? rel : `./${rel}`)}\n`;
}

/** What "New circuit" needs of the node: a swap to another circuit and bridge document (FluxNode has it). */
export interface CircuitOpener {
  openCircuit(bridgeFile: string, bridgeText: string): Promise<void>;
}

/**
 * Creates `<name>.yaml` beside the open circuit (an empty circuit; never over a file that exists) and
 * switches the node to it, with a bridge document of its own that binds nothing: the robot gets its
 * safe command and stands, the page starts from an empty graph. `unsaved` lists what would be lost.
 */
export async function newCircuit(node: CircuitOpener, current: string, name: unknown, unsaved: string[]): Promise<{ file: string }> {
  checkName(name);
  if (unsaved.length) throw new RefusedEdit(`not saved yet: ${unsaved.join(', ')}: save or undo first`, 409);
  const file = join(dirname(current), `${name}.yaml`);
  const bridge = defaultBridgeFile(file);
  const files = ideFiles();
  for (const f of [file, bridge]) if (files.exists(f)) throw new RefusedEdit(`${f} exists already: choose another name`, 409);
  try {
    files.create(file, emptyCircuit(file));
  } catch (e) {
    throw new RefusedEdit(`${file}: ${(e as Error).message}`, 409);
  }
  try {
    await node.openCircuit(bridge, startingBridge(bridge, file));
  } catch (e) {
    files.remove(file);
    throw new RebuildFailed(`the new circuit did not start; the open one goes on: ${(e as Error).message}`, 400);
  }
  return { file };
}
