/**
 * Byte fixtures of the micro benchmarks, with their provenance. Benchmarks measure the
 * normal path, so every fixture is a valid packet; `verify` in each case checks that.
 */
import { hex } from '@dmm/testkit';

/**
 * `udp-126`: Ethernet II + IPv6 + UDP with a 64-byte payload (00..3f), 126 bytes — the
 * frame the end-to-end generator sends (perf/c/udpgen.c builds the same bytes).
 * Built with scapy 2.5.0 (Debian python3-scapy) by:
 *   Ether(src='02:00:00:00:0a:01',dst='02:00:00:00:0b:01')/IPv6(src='fd00:a::1',
 *   dst='fd00:b::1',hlim=64)/UDP(sport=10000,dport=9)/Raw(bytes(range(64)))
 */
export const UDP_126 = hex`
  02:00:00:00:0b:01 02:00:00:00:0a:01 86dd          // Ethernet: dst, src, IPv6
  60000000 0048 11 40  fd00:a::1 fd00:b::1          // IPv6: plen 72, UDP, hlim 64
  2710 0009 0048 fa28                               // UDP: 10000 > 9, len 72, checksum
  000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f
  202122232425262728292a2b2c2d2e2f 303132333435363738393a3b3c3d3e3f`;

/** Offsets inside UDP_126. */
export const UDP_126_IP = 14;
export const UDP_126_UDP = 54;

/**
 * `hbh-dst-udp-142`: the same datagram behind a Hop-by-Hop header (Router Alert) and a
 * Destination Options header (PadN), 142 bytes. Built with scapy 2.5.0 by:
 *   Ether(...as above)/IPv6(...as above)/IPv6ExtHdrHopByHop(options=[RouterAlert()])/
 *   IPv6ExtHdrDestOpt(options=[PadN(optdata=b'\x00'*4)])/UDP(sport=10000,dport=9)/
 *   Raw(bytes(range(64)))
 */
export const HBH_DST_UDP_142 = hex`
  02:00:00:00:0b:01 02:00:00:00:0a:01 86dd
  60000000 0058 00 40  fd00:a::1 fd00:b::1          // IPv6: plen 88, next Hop-by-Hop
  3c 00 0502 0000 0100                              // HbH: next DestOpts, Router Alert, PadN
  11 00 0104 00000000                               // DestOpts: next UDP, PadN(4)
  2710 0009 0048 fa28
  000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f
  202122232425262728292a2b2c2d2e2f 303132333435363738393a3b3c3d3e3f`;

/**
 * `pbu-104`: Proxy Binding Update MAG → LMA, full IPv6 packet, MH at offset 40
 * (protocol.md §5.2, "PBU": hand-written Python and scapy 2.5, byte-identical, checksum
 * 0x29b7 cross-checked with scapy's in6_chksum).
 */
export const PBU_104 = hex`
  6000000000688740fd000100000000000000000000000002fd000100000000000000000000
  0000013b0c050029b700018200000f16120000000000000000000000000000000000001702
  00011802000301001b0800006553f10080000810016d6e31406578616d706c652e6f726719
  0800000200000000010104000000001a10fe800000000000000000000000000001`;

/** `pba-104`: the matching PBA, LMA → MAG (protocol.md §5.2, "PBA", checksum 0x7c9c). */
export const PBA_104 = hex`
  6000000000688740fd000100000000000000000000000001fd000100000000000000000000
  0000023b0c06007c9c00200001000f1612004020010db80001000100000000000000001702
  00011802000301001b0800006553f10080000810016d6e31406578616d706c652e6f726719
  0800000200000000010104000000001a10fe800000000000000000000000000001`;

/** `dmm-pbu-144`: a DMM PBU with RFC 8885 options (protocol.md §5.2, "DMM PBU", 0x0357). */
export const DMM_PBU_144 = hex`
  6000000000908740fd000200000000000000000000000002fd000100000000000000000000
  0000023b110500035700028210000f0810016d6e31406578616d706c652e6f726701040000
  00004112004020010db8000100010000000000000000010200004212004020010db8000200
  0100000000000000000104000000004510fe80000000000000000000000000000101004608
  000002000000000a17020003180200030104000000001b0800006553f100800001020000`;

/**
 * `ra-2pio-rio`: a Router Advertisement, ICMPv6 part only (protocol.md §5.2, "RA":
 * SLLAO, MTU, two PIOs, one RIO; tshark "[correct]").
 */
export const RA_2PIO_RIO = hex`
  86002f20400807080000000000000000010102000000000a05010000000005dc030440c000
  015180000038400000000020010db8000200010000000000000000030440c000000e100000
  00000000000020010db8000100010000000000000000180330180000070820010db8000100
  000000000000000000`;

/**
 * `ip6ip6-92`: IPv6-in-IPv6, fd00:100::2 → fd00:100::1 carrying an echo request
 * (protocol.md §5.2, "IPv6-in-IPv6").
 */
export const IP6IP6_92 = hex`
  6000000000342940fd000100000000000000000000000002fd00010000000000000000000000000160000000000c3a3f20010db800010001000000000000010020010db8ffff0000000000000000000180005e7b0001000161626364`;

/** `ptb-100`: ICMPv6 Packet Too Big quoting the inner packet above (protocol.md §5.2). */
export const PTB_100 = hex`
  60000000003c3a40fd00010000000000000000000000000220010db8ffff000000000000000000010200321b000005ac60000000000c3a3f20010db800010001000000000000010020010db8ffff0000000000000000000180005e7b0001000161626364`;

/**
 * `ext-chain-174`: the udp-126 datagram behind four extension headers in RFC 8200 §4.1
 * order — Hop-by-Hop (Router Alert) at 54, Routing type 2 (RFC 6275 §6.4, segments left 1,
 * fd00:a::99) at 62, Fragment (offset 0, M, id 0x12345678) at 86, Destination Options with
 * a Tunnel Encapsulation Limit of 4 (RFC 2473 §5.1, option at 96) at 94 — then UDP at 102.
 * Built with scapy 2.5.0 (Debian python3-scapy) by:
 *   Ether(...as udp-126)/IPv6(...as udp-126)/IPv6ExtHdrHopByHop(options=[RouterAlert()])/
 *   IPv6ExtHdrRouting(type=2,segleft=1,addresses=['fd00:a::99'])/
 *   IPv6ExtHdrFragment(offset=0,m=1,id=0x12345678)/
 *   IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=4,optdata=b'\x04')])/
 *   UDP(sport=10000,dport=9)/Raw(bytes(range(64)))
 */
export const EXT_CHAIN_174 = hex`
  02:00:00:00:0b:01 02:00:00:00:0a:01 86dd
  60000000 0078 00 40  fd00:a::1 fd00:b::1          // IPv6: plen 120, next Hop-by-Hop
  2b 00 0502 0000 0100                              // HbH: next Routing, Router Alert, PadN
  2c 02 02 01 00000000 fd00:a::99                   // Routing: next Fragment, type 2, left 1
  3c 00 0001 12345678                               // Fragment: next DestOpts, offset 0, M
  11 00 040104 010100                               // DestOpts: next UDP, TEL 4, PadN(1)
  2710 0009 0048 f991                               // UDP
  000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f
  202122232425262728292a2b2c2d2e2f 303132333435363738393a3b3c3d3e3f`;

/** Offsets inside EXT_CHAIN_174. */
export const EXT_CHAIN = { HBH: 54, ROUTING: 62, FRAGMENT: 86, DSTOPTS: 94, TEL: 96, UDP: 102 };

/**
 * Neighbour Discovery messages, ICMPv6 part only, each with one link-layer address option.
 * Built with scapy 2.5.0 (Debian python3-scapy); checksums by scapy over the IPv6 header
 * named in each expression (dropped here: the views do not need it).
 */
/** `rs-16`: IPv6(src='fe80::a',dst='ff02::2',hlim=255)/ICMPv6ND_RS()/ICMPv6NDOptSrcLLAddr(lladdr='02:00:00:00:0a:01') */
export const RS_16 = hex`85 00 7023 00000000  0101 02:00:00:00:0a:01`;

/** `ns-32`: IPv6(src='fe80::a',dst='ff02::1:ff00:1',hlim=255)/ICMPv6ND_NS(tgt='fd00:b::1')/ICMPv6NDOptSrcLLAddr(lladdr='02:00:00:00:0a:01') */
export const NS_32 = hex`87 00 7205 00000000 fd00:b::1  0101 02:00:00:00:0a:01`;

/** `na-32`: IPv6(src='fe80::b',dst='fe80::a',hlim=255)/ICMPv6ND_NA(R=1,S=1,O=1,tgt='fd00:b::1')/ICMPv6NDOptDstLLAddr(lladdr='02:00:00:00:0b:01') */
export const NA_32 = hex`88 00 8e7e e0000000 fd00:b::1  0201 02:00:00:00:0b:01`;

/** `redirect-48`: IPv6(src='fe80::1',dst='fe80::a',hlim=255)/ICMPv6ND_Redirect(tgt='fe80::2',dst='2001:db8::1')/ICMPv6NDOptDstLLAddr(lladdr='02:00:00:00:00:02') */
export const REDIRECT_48 = hex`89 00 4948 00000000 fe80::2 2001:db8::1  0201 02:00:00:00:00:02`;
