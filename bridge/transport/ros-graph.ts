// ROS 2's graph discovery on DDS: every participant publishes which nodes it hosts and the GIDs of
// their readers and writers on the topic `ros_discovery_info` (rmw_dds_common/msg/
// ParticipantEntitiesInfo, reliable, transient local, depth 1), so that `ros2 node list` and
// `ros2 topic info -v` name the node behind an endpoint. A GID is the DDS GUID (16 bytes), zero-padded
// to 24 bytes on Humble (rmw_dds_common's Gid became 16 bytes in Iron).
//
//   Gid:                     uint8[16 or 24] data
//   NodeEntitiesInfo:        string node_namespace, string node_name, Gid[] reader_gid_seq, Gid[] writer_gid_seq
//   ParticipantEntitiesInfo: Gid gid, NodeEntitiesInfo[] node_entities_info_seq
//
// Written with @foxglove/cdr's writer: the message definitions are not in the bundled ROS sets.
import { CdrWriter } from '@foxglove/cdr';

export const ROS_DISCOVERY_TOPIC = 'ros_discovery_info';
export const ROS_DISCOVERY_TYPE = 'rmw_dds_common::msg::dds_::ParticipantEntitiesInfo_';

export interface NodeEntities {
  namespace: string;
  name: string;
  readers: Uint8Array[];
  writers: Uint8Array[];
}

/** GID bytes for a distro: 24 on Humble (and older), 16 from Iron on. */
export function gidBytesFor(distro: string | undefined): number {
  return distro && ['humble', 'galactic', 'foxy'].includes(distro) ? 24 : 16;
}

export function encodeParticipantEntitiesInfo(participant: Uint8Array, nodes: NodeEntities[], gidBytes: number): Uint8Array {
  const w = new CdrWriter();
  const gid = (g: Uint8Array) => {
    const b = new Uint8Array(gidBytes);
    b.set(g.subarray(0, gidBytes));
    w.uint8Array(b, false);
  };
  gid(participant);
  w.sequenceLength(nodes.length);
  for (const n of nodes) {
    w.string(n.namespace);
    w.string(n.name);
    w.sequenceLength(n.readers.length);
    n.readers.forEach(gid);
    w.sequenceLength(n.writers.length);
    n.writers.forEach(gid);
  }
  return w.data;
}
