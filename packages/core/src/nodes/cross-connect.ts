import { dropReasons, type NodeDef } from '../graph-node.js';
import type { PacketVector } from '../packet-vector.js';
import { INTERFACE_OUTPUT } from '../scheduler.js';

const XC = dropReasons([['no-peer', 'the receiving interface has no cross-connect peer']] as const);

/**
 * `cross-connect`: sends every frame out of the interface paired with the one it came
 * in on, unchanged (a layer-2 patch cable, Snabb's basic forwarding benchmark in graph
 * form). `peers[i]` is the interface index paired with interface i, or -1.
 */
export function crossConnectNode(peers: Int32Array): NodeDef {
  return {
    name: 'cross-connect',
    next: [INTERFACE_OUTPUT],
    errors: XC.errors,
    process(v: PacketVector, rt) {
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const peer = pb.rxIf >= 0 && pb.rxIf < peers.length ? peers[pb.rxIf]! : -1;
        if (peer < 0) {
          rt.drop(pb, XC.code['no-peer']);
          continue;
        }
        pb.txIf = peer;
        rt.next(0, pb);
      }
    },
  };
}
