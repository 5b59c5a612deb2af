import type { Device, DeviceKind } from './device.js';
import type { MacMap } from './route/mac-map.js';
import { PacketVector, VECTOR_SIZE } from './packet-vector.js';

/** An address configured on an interface. */
export interface InterfaceAddress {
  readonly address: Uint8Array;
  readonly prefixLen: number;
  /** `config`, `slaac`, a plugin name. */
  readonly origin: string;
}

/** See `Interface.foreignUnicast`. */
export interface ForeignUnicastWatcher {
  /** A unicast frame at `bytes[frameStart]` on interface `rxIf` for a MAC nobody here has. */
  foreignFrame(bytes: Uint8Array, frameStart: number, rxIf: number): void;
}

/**
 * An interface of the router: a device plus its layer-3 configuration, the graph node
 * its received frames enter, and the vector its outgoing packets wait in until the end
 * of the breath.
 */
export class Interface {
  readonly index: number;
  readonly name: string;
  readonly device: Device;
  /** `ethernet` (TAP: Ethernet + ND) or `ip` (TUN: bare IPv6). */
  readonly kind: DeviceKind;
  /** Graph node index that receives this interface's frames. */
  inputNode: number;
  /** Packets queued for transmit in the current breath. */
  readonly txq = new PacketVector(VECTOR_SIZE);
  /** Reused receive vector. */
  readonly rxv = new PacketVector(VECTOR_SIZE);
  /** Breaths run for this interface. */
  breaths = 0;

  /** The MAC the router uses on this link (6 bytes), or null for `ip` interfaces. */
  mac: Uint8Array | null;
  /** IPv6 MTU of the link. */
  mtu: number;
  /** The device takes super-packets and partial checksums (`Device.offload`). */
  offload: boolean;
  /** The link-local address (RFC 4291 §2.5.6), or null before one is configured. */
  linkLocal: Uint8Array | null = null;
  /** Global (and other non-link-local) addresses. */
  readonly addresses: InterfaceAddress[] = [];
  /** Administratively up: packets are received and sent. */
  adminUp = true;
  /**
   * The physical interface a logical interface (a DLIF) lives on, or -1 for a physical
   * one. A logical interface shares its parent's device: it sends through it with its
   * own MAC, and receives what the parent's demultiplexers give it.
   */
  parent = -1;
  /** On a parent: unicast frames to these MACs belong to the mapped logical interface. */
  unicastDemux: MacMap | null = null;
  /**
   * On a parent: group-addressed frames from these source MACs (the nodes served by
   * logical interfaces) go to every logical interface of the mapped member list
   * (`multicastMembers`): each DLIF is a router of its own in the node's eyes, so each
   * hears the node's Router Solicitations and Neighbor Solicitations.
   */
  multicastDemux: MacMap | null = null;
  /** Member lists (interface indices) addressed by `multicastDemux` values. */
  multicastMembers: Int32Array[] = [];
  /**
   * Told of every unicast frame `ethernet-input` drops as not for us on this interface
   * (before the drop is counted): an access router learns from such a frame that a node it
   * knows arrived on the link while still talking to the router it left (a frame for that
   * router's MAC). Called inside a graph dispatch: it must only look and queue.
   */
  foreignUnicast: ForeignUnicastWatcher | null = null;
  /**
   * Routing table consulted first for packets that arrive on this interface (Linux's
   * `ip -6 rule add iif IF lookup T`), or -1. A D-GW sends what a node sends to an
   * anchor's DLIF into that anchor's tunnel this way.
   */
  inputTable = -1;
  /** Free-form owner tag of a logical interface (e.g. the mobile node it serves). */
  group = '';
  /** Set when a logical interface was removed (its index may be reused). */
  removed = false;

  constructor(index: number, name: string, device: Device, inputNode: number) {
    this.index = index;
    this.name = name;
    this.device = device;
    this.kind = device.kind;
    this.inputNode = inputNode;
    this.mac = device.mac ? Uint8Array.from(device.mac) : null;
    this.mtu = device.mtu;
    this.offload = device.offload === true;
  }

  /** First global address, or null (source of ICMPv6 errors and other router-originated packets). */
  primaryGlobal(): Uint8Array | null {
    return this.addresses[0]?.address ?? null;
  }
}
