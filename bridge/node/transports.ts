// The transports a Flux node runs on, registered in one place (as TensorFlow.js registers its backends
// and Foxglove Studio its players): each entry says what it is, in a line for `flux run --help`, and
// how to open it together with the parameters service and the node's name as that transport resolves
// them. FluxNode.start looks a name up here; FluxNodeOptions.transport and the CLI's --transport
// choices come from this table. The transports themselves live in bridge/transport/, which does not
// know this table (nor parameters, nor the node).
import { DdsTransport } from '../transport/dds.js';
import { MemoryGraph, MemoryTransport } from '../transport/memory.js';
import { RemapTransport } from '../transport/remap.js';
import { RosTransport, type RclnodejsModule } from '../transport/ros.js';
import type { Transport } from '../transport/transport.js';
import { LocalParameters, RosParameters, type Parameters } from './parameters.js';
import { resolveTopic, type RosArgs } from './rosargs.js';

/** What a caller of FluxNode.start may hand to one transport or another. */
export interface TransportOptions {
  /** The in-process graph of the memory transport (the simulated robot's, a test's). */
  graph?: MemoryGraph;
  /** The rclnodejs module (tests pass a fake); by default imported on first use. */
  rclnodejs?: RclnodejsModule;
}

export interface TransportRequest extends TransportOptions {
  /** The ROS arguments as given, with their --ros-args markers (rcl parses them itself). */
  rosArgs: string[];
  /** The same arguments as Flux parsed them, for transports without rcl. */
  args: RosArgs;
  log: (line: string) => void;
}

/** An open transport with the node it carries. */
export interface NodeTransport {
  transport: Transport;
  params: Parameters;
  nodeName: string;
  namespace: string;
  /** A topic's name on the wire. */
  resolve(topic: string): string;
}

export interface TransportEntry {
  /** One line for the CLI's help. */
  description: string;
  /** Whether it stays inside this process: with nothing outside to watch, the dashboard does not start by default. */
  inProcess: boolean;
  open(request: TransportRequest): Promise<NodeTransport>;
}

/**
 * A transport without rcl (made by `open` for the node's name and namespace): names, namespaces and
 * remaps resolve in Flux with rcl's rules, and parameters come from the ROS arguments Flux was given.
 */
function withoutRcl(args: RosArgs, open: (node: { name: string; namespace: string }) => Transport): NodeTransport {
  const nodeName = args.nodeName ?? 'flux';
  const namespace = args.namespace ?? '/';
  const resolve = (topic: string) => resolveTopic(topic, args, nodeName, namespace);
  const transport = new RemapTransport(open({ name: nodeName, namespace }), resolve);
  return { transport, params: new LocalParameters(args, nodeName, namespace), nodeName, namespace, resolve };
}

export const TRANSPORTS = {
  ros: {
    description: 'ROS 2 through rclnodejs (needs a sourced ROS 2)',
    inProcess: false,
    async open({ rclnodejs, rosArgs }) {
      const ros = await RosTransport.open({ module: rclnodejs, rosArgs, nodeName: 'flux' });
      // rcl has applied __node and __ns, and resolves topic names itself.
      const node = ros.node;
      return {
        transport: ros,
        params: new RosParameters(ros.rcl, node),
        nodeName: node.name(),
        namespace: node.namespace() || '/',
        resolve: (t) => node.resolveTopicName(t),
      };
    },
  },
  dds: {
    description: "the ROS 2 graph over DDS through Flux's own Cyclone DDS participant (no ROS install; domain from ROS_DOMAIN_ID)",
    inProcess: false,
    async open({ args, log }) {
      return withoutRcl(args, (node) => DdsTransport.open({ onDiagnostic: (d) => log(`flux: dds: ${d.message}`), node }));
    },
  },
  memory: {
    description: 'an in-process graph (empty from the command line: inputs stay stale, outputs publish their safe values)',
    inProcess: true,
    async open({ args, graph }) {
      return withoutRcl(args, () => new MemoryTransport(graph ?? new MemoryGraph()));
    },
  },
} satisfies Record<string, TransportEntry>;

export type TransportName = keyof typeof TRANSPORTS;

export const TRANSPORT_NAMES = Object.keys(TRANSPORTS).filter(isTransportName);

export function isTransportName(name: string): name is TransportName {
  return Object.hasOwn(TRANSPORTS, name);
}

/** The entry of `name`; an unknown name is an error that names the known ones. */
export function findTransport(name: string): TransportEntry {
  if (!isTransportName(name)) throw new Error(`unknown transport "${name}": expected ${TRANSPORT_NAMES.join(', ')}`);
  return TRANSPORTS[name];
}
