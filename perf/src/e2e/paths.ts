/**
 * The forwarding paths the end-to-end harness compares, as data: an id (what `--only`
 * takes), a label for the table, and which reference it is compared against.
 */

export const PATH_IDS = [
  'kernel',
  'kernel-offloads-off',
  'c',
  'c-one',
  'node',
  'node-one',
  'dmmd',
  'dmmd-offload',
  'kernel-tunnel',
  'dmmd-tunnel',
] as const;
export type PathId = (typeof PATH_IDS)[number];

export interface PathInfo {
  readonly id: PathId;
  readonly label: string;
  /**
   * Kind of forwarder: the kernel's IPv6 routing, a TAP cross-connect program (layer 2),
   * dmmd, the whole router on two TAP links (layer 3), or two routers with an IPv6-in-IPv6
   * tunnel between them (tunnel.ts).
   */
  readonly kind: 'kernel' | 'tap' | 'router' | 'tunnel';
  /**
   * The same forwarder's one-frame-per-readiness mode (the "ratio vs one-per-readiness"
   * column); for a one-per-readiness path, itself; none for the kernel.
   */
  readonly onePerReadiness: PathId | null;
}

export const PATHS: Readonly<Record<PathId, PathInfo>> = {
  kernel: {
    id: 'kernel',
    label: 'kernel (veth, routed)',
    kind: 'kernel',
    onePerReadiness: null,
  },
  'kernel-offloads-off': {
    id: 'kernel-offloads-off',
    label: 'kernel, offloads off',
    kind: 'kernel',
    onePerReadiness: null,
  },
  c: { id: 'c', label: 'C tapfwd, batched', kind: 'tap', onePerReadiness: 'c-one' },
  'c-one': { id: 'c-one', label: 'C tapfwd --one', kind: 'tap', onePerReadiness: 'c-one' },
  node: { id: 'node', label: 'Node forwarder, batched', kind: 'tap', onePerReadiness: 'node-one' },
  'node-one': {
    id: 'node-one',
    label: 'Node forwarder --rx-budget 1',
    kind: 'tap',
    onePerReadiness: 'node-one',
  },
  dmmd: { id: 'dmmd', label: 'dmmd (full router)', kind: 'router', onePerReadiness: null },
  'dmmd-offload': {
    id: 'dmmd-offload',
    label: 'dmmd, TAP offloads',
    kind: 'router',
    onePerReadiness: null,
  },
  'kernel-tunnel': {
    id: 'kernel-tunnel',
    label: 'kernel IPv6-in-IPv6 tunnel, offloads off',
    kind: 'tunnel',
    onePerReadiness: null,
  },
  'dmmd-tunnel': {
    id: 'dmmd-tunnel',
    label: 'dmmd pair, IPv6-in-IPv6 tunnel',
    kind: 'tunnel',
    onePerReadiness: null,
  },
};

/** The C baseline every path is compared against ("ratio vs C baseline batched"). */
export const BASELINE: PathId = 'c';

/** The kernel reference every path is compared against ("ratio vs kernel"). */
export const KERNEL: PathId = 'kernel';

export function isPathId(s: string): s is PathId {
  return (PATH_IDS as readonly string[]).includes(s);
}
