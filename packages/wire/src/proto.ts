/**
 * Protocol numbers as `as const` objects (not TS enums): unknown values stay plain numbers.
 * Sources: IANA "Protocol Numbers", IEEE EtherTypes, RFC 8200 §4, RFC 4443 §2.1,
 * RFC 4861 §4, RFC 6275 §6.1.
 */

/** EtherType values (IEEE 802.3 Length/Type field). */
export const EtherType = {
  Ipv4: 0x0800,
  Arp: 0x0806,
  Vlan: 0x8100,
  Ipv6: 0x86dd,
} as const;

/** IPv6 Next Header values (IANA Protocol Numbers). */
export const IpProto = {
  HopByHop: 0,
  Tcp: 6,
  Udp: 17,
  Ipv6: 41,
  Routing: 43,
  Fragment: 44,
  Esp: 50,
  Ah: 51,
  Icmpv6: 58,
  NoNext: 59,
  DestOptions: 60,
  Mobility: 135,
} as const;

/** ICMPv6 message types (RFC 4443 §2.1, RFC 4861 §4). */
export const Icmpv6Type = {
  DestinationUnreachable: 1,
  PacketTooBig: 2,
  TimeExceeded: 3,
  ParameterProblem: 4,
  EchoRequest: 128,
  EchoReply: 129,
  RouterSolicitation: 133,
  RouterAdvertisement: 134,
  NeighborSolicitation: 135,
  NeighborAdvertisement: 136,
  Redirect: 137,
} as const;

/** Destination Unreachable codes (RFC 4443 §3.1). */
export const DestUnreachCode = {
  NoRoute: 0,
  AdminProhibited: 1,
  BeyondScope: 2,
  AddressUnreachable: 3,
  PortUnreachable: 4,
  SourcePolicyFailed: 5,
  RejectRoute: 6,
} as const;

/** Time Exceeded codes (RFC 4443 §3.3). */
export const TimeExceededCode = {
  HopLimit: 0,
  Reassembly: 1,
} as const;

/** Parameter Problem codes (RFC 4443 §3.4). */
export const ParamProblemCode = {
  HeaderField: 0,
  UnknownNextHeader: 1,
  UnknownOption: 2,
} as const;

const IP_PROTO_NAMES = new Map<number, string>(
  Object.entries(IpProto).map(([k, v]) => [v, k.toLowerCase()]),
);

/** Lower-case name of a Next Header value, or its number. */
export function ipProtoName(n: number): string {
  return IP_PROTO_NAMES.get(n) ?? String(n);
}
