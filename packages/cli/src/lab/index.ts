/**
 * dmm-lab as a library: build a topology of namespaces, bridges, kernel hosts and dmmd
 * routers in-process (docs/lab.md).
 */
export { Lab, teardown, inPrefix } from './lab.js';
export type {
  AddressInfo,
  DownReport,
  LabOptions,
  LabRouter,
  LabStatus,
  MoveOptions,
  TeardownTarget,
  UpOptions,
} from './lab.js';
export { loadTopology, parseTopologyText, peerName } from './topology.js';
export type {
  HostInterfacePlan,
  HostPlan,
  HostRoutePlan,
  LinkPlan,
  RouterPlan,
  Topology,
} from './topology.js';
export { LabError, LAB_ERROR_CODE } from './shell.js';
export type { RunResult, RunOptions } from './shell.js';
export { HOST_CONF_SYSCTLS, HOST_GLOBAL_SYSCTLS, SWITCH_SYSCTLS } from './sysctl.js';
export { formatStatus } from './summary.js';
export { defaultRuntimeRoot, defaultDmmd } from './paths.js';
