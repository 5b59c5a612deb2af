/**
 * The sysctls a lab sets, each with the reason, so a Linux kernel host behaves as an
 * unmodified IPv6 host behind our routers (RFC 4861 §6.3, RFC 4862 §5, RFC 4191 §3) and
 * the switch namespace is a plain layer-2 segment that never speaks IPv6 itself.
 *
 * Values are set explicitly even where they equal today's kernel default: a lab must not
 * change behaviour because a distribution or a newer kernel changed a default. A key this
 * kernel does not have (e.g. `ra_honor_pio_life` before Linux 6.9) is skipped and reported.
 */
import { existsSync } from 'node:fs';

/** One `net.ipv6.conf.<dev>.<key>` setting for host interfaces. */
export interface HostConfSysctl {
  key: string;
  /** The value; some depend on whether the host forwards. */
  value: (host: { forwarding: boolean }) => string;
  why: string;
}

const v = (s: string) => () => s;

/**
 * Written, in this order, to `net.ipv6.conf.default.*` (so any device created later in the
 * host inherits them) and to `net.ipv6.conf.<dev>.*` of every host interface before it is
 * brought up.
 */
export const HOST_CONF_SYSCTLS: readonly HostConfSysctl[] = [
  {
    key: 'disable_ipv6',
    value: v('0'),
    why: 'IPv6 on: the host exists to speak IPv6.',
  },
  {
    key: 'forwarding',
    value: (h) => (h.forwarding ? '1' : '0'),
    why: 'A host does not forward (RFC 4861 §6.3.4 is host behaviour); `forwarding: true` on a host turns it on.',
  },
  {
    key: 'accept_ra',
    value: (h) => (h.forwarding ? '2' : '1'),
    why:
      'Process Router Advertisements (RFC 4861 §6.3.4). The kernel ignores RAs on a forwarding ' +
      'interface unless the value is 2, so a forwarding host gets 2.',
  },
  {
    key: 'accept_ra_defrtr',
    value: v('1'),
    why: 'Install a default route from the RA Router Lifetime (RFC 4861 §6.3.4, Default Router List).',
  },
  {
    key: 'accept_ra_rtr_pref',
    value: v('1'),
    why: "Honour the RA's Default Router Preference (RFC 4191 §2.2) when choosing among routers.",
  },
  {
    key: 'accept_ra_pinfo',
    value: v('1'),
    why: 'Process Prefix Information options: on-link prefixes and SLAAC (RFC 4861 §6.3.4, RFC 4862 §5.5.3).',
  },
  {
    key: 'accept_ra_rt_info_min_plen',
    value: v('0'),
    why: 'Accept RFC 4191 Route Information options down to ::/0.',
  },
  {
    key: 'accept_ra_rt_info_max_plen',
    value: v('128'),
    why:
      'Accept RFC 4191 Route Information options up to /128. The kernel default (0) only ' +
      'accepts a ::/0 route, so more-specific routes a router advertises would be ignored.',
  },
  {
    key: 'accept_ra_min_hop_limit',
    value: v('1'),
    why: "Take the RA's Cur Hop Limit whenever it is at least 1 (RFC 4861 §6.3.4).",
  },
  {
    key: 'accept_ra_mtu',
    value: v('1'),
    why: 'Apply the RA MTU option to the link (RFC 4861 §4.6.4).',
  },
  {
    key: 'accept_ra_min_lft',
    value: v('0'),
    why: 'Do not ignore RAs or options with short lifetimes (Linux ≥ 6.6): labs use short ones.',
  },
  {
    key: 'ra_honor_pio_life',
    value: v('0'),
    why:
      'RFC 4862 §5.5.3(e) two-hour rule for Prefix Information valid lifetimes, as real ' +
      'hosts do (Linux ≥ 6.9). A topology that wants a withdrawn prefix (valid lifetime 0) ' +
      'to vanish at once sets this to 1.',
  },
  {
    key: 'autoconf',
    value: v('1'),
    why: 'Stateless address autoconfiguration from prefixes with the A flag (RFC 4862 §5.5.3).',
  },
  {
    key: 'addr_gen_mode',
    value: v('0'),
    why:
      'EUI-64 interface identifiers (RFC 4291 Appendix A): a SLAAC address is predictable from ' +
      'the MAC the topology sets, so tests know it in advance.',
  },
  {
    key: 'use_tempaddr',
    value: v('0'),
    why: 'No RFC 8981 temporary addresses: one stable address per prefix in tests.',
  },
  {
    key: 'max_addresses',
    value: v('16'),
    why:
      'At most 16 autoconfigured addresses per interface (the kernel default); a mobile host ' +
      'keeps one per prefix it visited, so a very long mobility run raises this.',
  },
  {
    key: 'accept_dad',
    value: v('1'),
    why:
      'Duplicate Address Detection on every address (RFC 4862 §5.4); `up` waits until ' +
      'addresses leave the tentative state. Set 0 per interface to skip it.',
  },
  {
    key: 'dad_transmits',
    value: v('1'),
    why: 'DupAddrDetectTransmits = 1 (RFC 4862 §5.1).',
  },
  {
    key: 'enhanced_dad',
    value: v('1'),
    why: 'RFC 7527 nonces, so a host never mistakes its own looped-back NS for a duplicate.',
  },
  {
    key: 'optimistic_dad',
    value: v('0'),
    why: 'No RFC 4429 optimistic addresses: an address is used only after DAD.',
  },
  {
    key: 'use_optimistic',
    value: v('0'),
    why: 'Never prefer an optimistic address as a source (RFC 4429 §3.3).',
  },
  {
    key: 'router_solicitations',
    value: v('-1'),
    why:
      'Keep sending Router Solicitations with exponential back-off until an RA arrives ' +
      '(RFC 7559), instead of giving up after 3 (RFC 4861 MAX_RTR_SOLICITATIONS).',
  },
  {
    key: 'router_solicitation_interval',
    value: v('4'),
    why: 'RTR_SOLICITATION_INTERVAL = 4 s (RFC 4861 §10).',
  },
  {
    key: 'router_solicitation_max_interval',
    value: v('3600'),
    why: 'MAX_RTR_SOLICITATION_INTERVAL = 3600 s (RFC 7559 §2).',
  },
  {
    key: 'router_solicitation_delay',
    value: v('1'),
    why: 'MAX_RTR_SOLICITATION_DELAY = 1 s before the first RS (RFC 4861 §6.3.7).',
  },
  {
    key: 'accept_redirects',
    value: v('1'),
    why: 'Hosts accept Redirects from their first-hop router (RFC 4861 §8.3).',
  },
  {
    key: 'keep_addr_on_down',
    value: v('1'),
    why:
      'Keep static addresses when an interface goes administratively down, so a test that ' +
      'toggles a link finds its addresses again.',
  },
  {
    key: 'ndisc_evict_nocarrier',
    value: v('1'),
    why:
      'Flush the neighbour cache when carrier is lost, like a host that changes access ' +
      'point; `move --blip` relies on it.',
  },
  {
    key: 'ndisc_notify',
    value: v('0'),
    why: 'No unsolicited Neighbor Advertisements on link-layer changes (RFC 4861 §7.2.6 is optional).',
  },
  {
    key: 'hop_limit',
    value: v('64'),
    why: 'Default hop limit until an RA sets one (RFC 4861 §6.3.2 CurHopLimit).',
  },
];

/** Host-wide settings, written first. */
export const HOST_GLOBAL_SYSCTLS: readonly HostConfSysctl[] = [
  {
    key: 'net.ipv6.conf.all.forwarding',
    value: (h) => (h.forwarding ? '1' : '0'),
    why:
      'The host-wide forwarding switch; writing it also sets every existing interface, so it ' +
      'goes before the per-interface values.',
  },
];

/** The switch namespace: bridges only, no IPv6 of its own, no firewall on bridged frames. */
export const SWITCH_SYSCTLS: readonly { key: string; value: string; why: string }[] = [
  {
    key: 'net.ipv6.conf.all.disable_ipv6',
    value: '1',
    why: 'The switch namespace is layer 2 only: its bridges must not send RS, DAD or MLD.',
  },
  {
    key: 'net.ipv6.conf.default.disable_ipv6',
    value: '1',
    why:
      'Devices created in or moved into the switch namespace later (bridges, veth peers, ' +
      "routers' TAPs) start with IPv6 off, so the kernel never talks on a router's link.",
  },
  {
    key: 'net.bridge.bridge-nf-call-ip6tables',
    value: '0',
    why: 'With br_netfilter loaded, bridged IPv6 frames would otherwise cross ip6tables.',
  },
  {
    key: 'net.bridge.bridge-nf-call-iptables',
    value: '0',
    why: 'The same for IPv4 frames.',
  },
  {
    key: 'net.bridge.bridge-nf-call-arptables',
    value: '0',
    why: 'The same for ARP.',
  },
];

/** `net.ipv6.conf.eth0.accept_ra` → `net/ipv6/conf/eth0/accept_ra` (dots in device names survive). */
export function confKey(dev: string, key: string): string {
  return `net/ipv6/conf/${dev}/${key}`;
}

/** A full dotted name → the slash form sysctl(8) takes, leaving device names alone. */
export function slashKey(name: string): string {
  return name.includes('/') ? name : name.replace(/\./g, '/');
}

/**
 * Whether this kernel has an IPv6 per-interface setting (checked on the root namespace's
 * `default`; the set of keys is the same in every namespace).
 */
export function kernelHasConf(key: string): boolean {
  return existsSync(`/proc/sys/net/ipv6/conf/default/${key}`);
}
