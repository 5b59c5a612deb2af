/**
 * A router instance: the packet core (pool, graph, scheduler), the IPv6 path (nodes and
 * feature arcs), interfaces with their addresses, routing tables, the neighbour table,
 * control-plane events and a logger. Plugins (ND/RA, routing, the control API, mobility
 * roles) build on it through the plugin host.
 *
 * Several routers can live in one process (tests, examples): they share nothing.
 */
import { EventEmitter } from 'eventemitter3';
import { IpProto, linkLocalFromMac } from '@dmm/wire';
import { BufferPool, type BufferPoolOptions } from './buffer-pool.js';
import type { Device } from './device.js';
import { ConfigError } from './errors.js';
import type { RouterEvents } from './events.js';
import { Graph, arcStart } from './graph.js';
import type { Interface } from './interface.js';
import { type InterfaceAddress } from './interface.js';
import { Ip6Arc, Ip6Node, type Ip6Context } from './ip6/context.js';
import { ethernetInputNode } from './ip6/ethernet-input.js';
import { icmp6ErrorNode } from './ip6/icmp6-error.js';
import { icmp6InputNode } from './ip6/icmp6-input.js';
import { ip6InputNode } from './ip6/ip6-input.js';
import { LOCAL_ARC_ICMP6_INPUT, ip6LocalDispatchNode } from './ip6/ip6-local-dispatch.js';
import { ip6LookupNode } from './ip6/ip6-lookup.js';
import { ip6RewriteNode } from './ip6/ip6-rewrite.js';
import { LocalAddresses } from './ip6/local-addresses.js';
import { TokenBucket } from './ip6/token-bucket.js';
import { silentLogger, type Logger } from './logger.js';
import type { PacketBuffer } from './packet-buffer.js';
import { PacketFlag } from './packet-buffer.js';
import { NeighborTable } from './route/neighbor-table.js';
import { MacMap } from './route/mac-map.js';
import { RoutingTables, maskPrefix, type Route, type RouteSpec } from './route/route-table.js';
import { INTERFACE_OUTPUT, Scheduler } from './scheduler.js';
import { CommandRegistry } from './plugin/command-registry.js';
import { createRouterContainer, type DependencyContainer } from './plugin/container.js';
import { PluginHost } from './plugin/plugin-host.js';
import { registerRouterCommands } from './router-commands.js';
import { COMMANDS, LOGGER, ROUTER } from './plugin/tokens.js';

export interface RouterOptions {
  name?: string;
  pool?: BufferPoolOptions;
  /** Frames read per breath (1..256). */
  rxBudget?: number;
  /** ICMPv6 errors per second and burst (RFC 4443 §2.4(f)); default 100/s, burst 100. */
  icmpErrorRate?: number;
  icmpErrorBurst?: number;
  /** Hop limit of router-originated packets (default 64). */
  defaultHopLimit?: number;
  /** Measure time per node. */
  runtimeStats?: boolean;
  logger?: Logger;
}

export interface AddLogicalInterfaceOptions {
  name: string;
  /** The Ethernet interface it lives on. */
  parent: Interface;
  /** Its own MAC (unique among the parent's logical interfaces). */
  mac: Uint8Array;
  /** Its link-local address; default: modified EUI-64 of `mac`. */
  linkLocal?: Uint8Array;
  /** Deliver group-addressed frames from this MAC (the node it serves) to it. */
  multicastFrom?: Uint8Array;
  mtu?: number;
  /** Owner tag (e.g. a mobile node id), for `show` and for siblings lookups. */
  group?: string;
}

export interface AddInterfaceOptions {
  name: string;
  device: Device;
  /** Override the device MAC the router uses (Ethernet). */
  mac?: Uint8Array;
  /** Override the device MTU. */
  mtu?: number;
  /** Link-local address; default: modified EUI-64 of the MAC on Ethernet links, none on TUN. */
  linkLocal?: Uint8Array | null;
}

/** Allocation-free protocol dispatch tables shared with the IPv6 nodes. */
class Ip6State implements Ip6Context {
  pool: BufferPool;
  interfaces: Interface[];
  routes: RoutingTables;
  neighbors: NeighborTable;
  local: LocalAddresses;
  forwarding = true;
  defaultHopLimit: number;
  icmpErrorLimiter: TokenBucket;
  localProtocolArc = new Int32Array(256).fill(-1);
  tunnelArc = -1;
  icmpTypeArc = new Int32Array(256).fill(-1);

  constructor(pool: BufferPool, ifaces: Interface[], opts: RouterOptions) {
    this.pool = pool;
    this.interfaces = ifaces;
    this.routes = new RoutingTables();
    this.neighbors = new NeighborTable();
    this.local = new LocalAddresses();
    this.defaultHopLimit = opts.defaultHopLimit ?? 64;
    this.icmpErrorLimiter = new TokenBucket(opts.icmpErrorRate ?? 100, opts.icmpErrorBurst ?? 100);
  }
}

export class Router {
  readonly name: string;
  readonly log: Logger;
  readonly pool: BufferPool;
  readonly graph: Graph;
  readonly scheduler: Scheduler;
  readonly events = new EventEmitter<RouterEvents>();
  /** This router's DI container (child of tsyringe's root; plugins get children of it). */
  readonly container: DependencyContainer;
  /** Control commands (`show …`), served by the control API. */
  readonly commands = new CommandRegistry();
  readonly plugins: PluginHost;
  /** Shared state of the IPv6 nodes. */
  readonly ip6: Ip6Context;
  private readonly state: Ip6State;
  private started = false;

  constructor(opts: RouterOptions = {}) {
    this.name = opts.name ?? 'router';
    this.log = (opts.logger ?? silentLogger()).child({ router: this.name });
    this.pool = new BufferPool(opts.pool);
    this.graph = new Graph(this.pool, { runtimeStats: opts.runtimeStats ?? false });
    this.scheduler = new Scheduler(
      this.graph,
      opts.rxBudget === undefined ? {} : { rxBudget: opts.rxBudget },
    );
    this.state = new Ip6State(this.pool, this.scheduler.interfaces, opts);
    this.ip6 = this.state;
    const g = this.graph;
    g.addNode(this.scheduler.outputNodeDef());
    g.addNode(ethernetInputNode(this.state));
    g.addNode({
      // TUN interfaces deliver bare IPv6: straight onto the ip6-input arc
      name: Ip6Node.TunInput,
      next: [arcStart(Ip6Arc.Input)],
      errors: [],
      process(v, rt) {
        for (let i = 0; i < v.length; i++) rt.next(0, v.items[i]!);
      },
    });
    g.addNode(ip6InputNode(this.state));
    g.addNode(ip6LocalDispatchNode(this.state));
    g.addNode(icmp6InputNode(this.state));
    g.addNode(ip6LookupNode(this.state));
    g.addNode(ip6RewriteNode(this.state));
    g.addNode(icmp6ErrorNode(this.state));
    g.addArc(Ip6Arc.Input, Ip6Node.Ip6Input); // reserved: features before validation
    g.addArc(Ip6Arc.Local, Ip6Node.LocalDispatch);
    g.addArc(Ip6Arc.Forward, Ip6Node.Lookup);
    g.addArc(Ip6Arc.Output, INTERFACE_OUTPUT);
    g.finalise();
    this.state.localProtocolArc[IpProto.Icmpv6] = LOCAL_ARC_ICMP6_INPUT;
    this.container = createRouterContainer();
    this.container.registerInstance(ROUTER, this);
    this.container.registerInstance(LOGGER, this.log);
    this.container.registerInstance(COMMANDS, this.commands);
    this.plugins = new PluginHost(this);
    registerRouterCommands(this);
  }

  get interfaces(): readonly Interface[] {
    return this.scheduler.interfaces;
  }
  get routes(): RoutingTables {
    return this.state.routes;
  }
  get neighbors(): NeighborTable {
    return this.state.neighbors;
  }
  get local(): LocalAddresses {
    return this.state.local;
  }
  get running(): boolean {
    return this.started;
  }

  /** The interface called `name`, or undefined. */
  interface(name: string): Interface | undefined {
    return this.scheduler.interface(name);
  }

  /** The interface called `name`; a ConfigError naming it when missing. */
  requireInterface(name: string): Interface {
    const i = this.scheduler.interface(name);
    if (i === undefined) throw new ConfigError(`no interface named ${name}`, { interface: name });
    return i;
  }

  /** Adds an interface; Ethernet interfaces get their EUI-64 link-local address. */
  addInterface(opts: AddInterfaceOptions): Interface {
    if (opts.device.offload === true && this.pool.largeCount === 0) {
      // a device with offloads delivers super-packets of up to 64 KB
      throw new ConfigError(
        `interface ${opts.name} has offloads but the pool has no large buffers (pool.largeCount)`,
        { interface: opts.name },
      );
    }
    const input = opts.device.kind === 'ethernet' ? Ip6Node.EthernetInput : Ip6Node.TunInput;
    const iface = this.scheduler.addInterface(opts.name, opts.device, input);
    if (opts.mac) iface.mac = Uint8Array.from(opts.mac);
    if (opts.mtu !== undefined) iface.mtu = opts.mtu;
    this.state.local.addInterface(iface.index);
    if (this.started) opts.device.onReadable(() => this.scheduler.breathe(iface));
    const ll =
      opts.linkLocal !== undefined
        ? opts.linkLocal
        : iface.mac
          ? linkLocalFromMac(iface.mac)
          : null;
    if (ll) this.setLinkLocal(iface, ll);
    this.events.emit('interface:added', iface.index, iface.name);
    return iface;
  }

  /**
   * Adds a logical interface (a DLIF) on Ethernet interface `parent`: its own MAC and
   * link-local address, sharing the parent's device. Unicast frames to `mac` arriving on
   * the parent go to it; so do group-addressed frames from `multicastFrom` (the MAC of the
   * node it serves), when given. Thousands per parent are fine: there is no kernel state.
   */
  addLogicalInterface(opts: AddLogicalInterfaceOptions): Interface {
    const parent = opts.parent;
    if (parent.kind !== 'ethernet') {
      throw new ConfigError(`logical interfaces need an Ethernet parent, ${parent.name} is not`, {
        interface: parent.name,
      });
    }
    const iface = this.scheduler.addLogicalInterface(opts.name, parent);
    iface.mac = Uint8Array.from(opts.mac);
    iface.group = opts.group ?? '';
    if (opts.mtu !== undefined) iface.mtu = opts.mtu;
    parent.unicastDemux ??= new MacMap();
    const prev = parent.unicastDemux.set(iface.mac, 0, iface.index);
    if (prev >= 0 && prev !== iface.index) {
      parent.unicastDemux.set(iface.mac, 0, prev);
      this.scheduler.removeLogicalInterface(iface);
      throw new ConfigError(`MAC already used by another logical interface on ${parent.name}`, {
        interface: opts.name,
      });
    }
    if (opts.multicastFrom) this.addMulticastMember(parent, opts.multicastFrom, iface.index);
    this.state.local.addInterface(iface.index);
    this.setLinkLocal(iface, opts.linkLocal ?? linkLocalFromMac(iface.mac));
    this.events.emit('interface:added', iface.index, iface.name);
    return iface;
  }

  /**
   * Removes a logical interface with everything that pointed at it: demultiplexer
   * entries, local addresses, neighbours and routes out of it.
   */
  removeLogicalInterface(iface: Interface, multicastFrom?: Uint8Array): void {
    if (iface.parent < 0 || iface.removed) return;
    const parent = this.interfaces[iface.parent]!;
    // its addresses go first, announced, so every module drops what it keeps for them
    for (const a of [...iface.addresses]) this.removeAddress(iface, a.address);
    if (iface.linkLocal) {
      const ll = iface.linkLocal;
      this.state.local.removeAddress(iface.index, ll);
      iface.linkLocal = null;
      this.events.emit('address:removed', iface.index, {
        address: ll,
        prefixLen: 64,
        origin: 'link-local',
      });
    }
    if (iface.mac && parent.unicastDemux?.get(iface.mac, 0) === iface.index) {
      parent.unicastDemux.delete(iface.mac, 0);
    }
    if (multicastFrom) this.removeMulticastMember(parent, multicastFrom, iface.index);
    for (const r of this.routes.removeByInterface(iface.index))
      this.events.emit('route:removed', r);
    this.neighbors.removeInterface(iface.index);
    this.state.local.removeInterface(iface.index);
    this.scheduler.removeLogicalInterface(iface);
    this.events.emit('interface:removed', iface.index, iface.name);
  }

  private addMulticastMember(parent: Interface, mac: Uint8Array, ifIndex: number): void {
    parent.multicastDemux ??= new MacMap();
    const slot = parent.multicastDemux.get(mac, 0);
    if (slot < 0) {
      let free = parent.multicastMembers.findIndex((m) => m.length === 0);
      if (free < 0) free = parent.multicastMembers.push(new Int32Array(0)) - 1;
      parent.multicastMembers[free] = Int32Array.of(ifIndex);
      parent.multicastDemux.set(mac, 0, free);
      return;
    }
    const cur = parent.multicastMembers[slot]!;
    if (cur.includes(ifIndex)) return;
    const next = new Int32Array(cur.length + 1);
    next.set(cur);
    next[cur.length] = ifIndex;
    parent.multicastMembers[slot] = next;
  }

  private removeMulticastMember(parent: Interface, mac: Uint8Array, ifIndex: number): void {
    const slot = parent.multicastDemux?.get(mac, 0) ?? -1;
    if (slot < 0) return;
    const next = parent.multicastMembers[slot]!.filter((i) => i !== ifIndex);
    parent.multicastMembers[slot] = next;
    if (next.length === 0) parent.multicastDemux!.delete(mac, 0);
  }

  /** Sets (or replaces) an interface's link-local address. */
  setLinkLocal(iface: Interface, addr: Uint8Array): void {
    if (iface.linkLocal) this.state.local.removeAddress(iface.index, iface.linkLocal);
    iface.linkLocal = Uint8Array.from(addr);
    this.state.local.addAddress(iface.index, iface.linkLocal);
  }

  /**
   * Adds a global address with its on-link prefix: the address becomes local, and the
   * prefix gets a connected route out of the interface (unless `onLink` is false).
   */
  addAddress(
    iface: Interface,
    address: Uint8Array,
    prefixLen: number,
    origin = 'config',
    onLink = true,
  ): InterfaceAddress {
    if (iface.addresses.some((a) => equal16(a.address, address))) {
      throw new ConfigError(`address already on ${iface.name}`, { interface: iface.name });
    }
    const a: InterfaceAddress = { address: Uint8Array.from(address), prefixLen, origin };
    iface.addresses.push(a);
    this.state.local.addAddress(iface.index, a.address);
    if (onLink && prefixLen < 128) {
      this.addRoute({ prefix: address, prefixLen, ifIndex: iface.index, origin: 'connected' });
    }
    this.events.emit('address:added', iface.index, a);
    return a;
  }

  removeAddress(iface: Interface, address: Uint8Array): boolean {
    const i = iface.addresses.findIndex((a) => equal16(a.address, address));
    if (i < 0) return false;
    const [a] = iface.addresses.splice(i, 1);
    this.state.local.removeAddress(iface.index, a!.address);
    const r = this.routes.remove(maskPrefix(a!.address, a!.prefixLen), a!.prefixLen);
    if (r) this.events.emit('route:removed', r);
    this.events.emit('address:removed', iface.index, a!);
    return true;
  }

  addRoute(spec: RouteSpec): Route {
    const r = this.routes.add(spec);
    this.events.emit('route:added', r);
    return r;
  }

  removeRoute(prefix: Uint8Array, prefixLen: number, table?: number): Route | null {
    const r = this.routes.remove(prefix, prefixLen, table);
    if (r) this.events.emit('route:removed', r);
    return r;
  }

  /**
   * Makes upper-layer protocol `proto` (Next Header value) for this router go to node
   * `node` (already registered). One handler per protocol.
   */
  registerLocalProtocol(proto: number, node: string): void {
    if (this.state.localProtocolArc[proto]! >= 0) {
      throw new ConfigError(`protocol ${proto} already has a handler`, { proto });
    }
    this.state.localProtocolArc[proto] = this.graph.addNextArc(Ip6Node.LocalDispatch, node);
  }

  unregisterLocalProtocol(proto: number): void {
    this.state.localProtocolArc[proto] = -1;
  }

  /** Makes ICMPv6 messages of `type` for this router go to node `node`. */
  registerIcmpHandler(type: number, node: string): void {
    if (this.state.icmpTypeArc[type]! >= 0) {
      throw new ConfigError(`ICMPv6 type ${type} already has a handler`, { type });
    }
    this.state.icmpTypeArc[type] = this.graph.addNextArc(Ip6Node.Icmp6Input, node);
  }

  unregisterIcmpHandler(type: number): void {
    this.state.icmpTypeArc[type] = -1;
  }

  /**
   * Makes tunnel routes (`RouteKind.Tunnel`) go to node `node`, which encapsulates
   * `pb.tunnel`'s packets. One tunnel module per router.
   */
  registerTunnelHandler(node: string): void {
    if (this.state.tunnelArc >= 0) throw new ConfigError('a tunnel handler is already registered');
    this.state.tunnelArc = this.graph.addNextArc(Ip6Node.Lookup, node);
  }

  unregisterTunnelHandler(): void {
    this.state.tunnelArc = -1;
  }

  /**
   * Sends an IPv6 packet the router built (`pb.start` at its IPv6 header). With `txIf` the
   * packet leaves that interface towards its destination's link-layer address (link-scope
   * destinations: ND, RAs); without, it is routed. Runs the graph and flushes at once.
   */
  sendIp6(pb: PacketBuffer, txIf = -1): void {
    pb.l3 = pb.start;
    pb.flags |= PacketFlag.LocalOrigin;
    if (txIf >= 0) {
      pb.txIf = txIf;
      pb.flags |= PacketFlag.TxIfFixed;
    }
    this.scheduler.inject(this.graph.indexOf(Ip6Node.Lookup), pb);
  }

  /** Hands a packet back to node `node` (e.g. packets queued while a neighbour resolved). */
  reinject(node: string, pb: PacketBuffer): void {
    this.scheduler.inject(this.graph.indexOf(node), pb);
  }

  /** Starts the plugins (load order), then reading every interface. Idempotent. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.plugins.startAll();
    this.scheduler.start();
    this.events.emit('router:started');
  }

  /** Stops reading, stops the plugins (reverse order) and closes every device. Idempotent. */
  async stop(): Promise<void> {
    if (this.started) {
      this.events.emit('router:stopping');
      this.started = false;
      this.scheduler.stop();
      await this.plugins.stopAll();
    }
    for (const i of this.interfaces) if (i.parent < 0) i.device.close();
  }

  /** Every node counter that is not zero, as `node.reason` → count. */
  counters(): Record<string, number> {
    return Object.fromEntries(this.graph.dropCounters());
  }
}

function equal16(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}
