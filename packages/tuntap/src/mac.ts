/**
 * MAC address text forms for device configuration (IEEE 802 `aa:bb:cc:dd:ee:ff`).
 * Control plane only: these allocate.
 */
import { DmmError } from '@dmm/core';
import { TuntapErrorCode } from './errors.js';

const MAC_TEXT = /^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/;

/** Parses `aa:bb:cc:dd:ee:ff` (or with `-`); throws BAD_ARGUMENT. */
export function parseMacAddress(text: string): Uint8Array {
  if (!MAC_TEXT.test(text)) {
    throw new DmmError(TuntapErrorCode.BadArgument, `bad MAC address ${JSON.stringify(text)}`, {
      mac: text,
    });
  }
  return Uint8Array.from(text.split(/[:-]/).map((p) => parseInt(p, 16)));
}

/** Lower-case `aa:bb:cc:dd:ee:ff`. */
export function formatMacAddress(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * Throws BAD_ARGUMENT unless `mac` is 6 bytes of a unicast, non-zero address: the kernel
 * refuses the others for an Ethernet device (eth_mac_addr, is_valid_ether_addr).
 */
export function checkUnicastMac(mac: Uint8Array): void {
  if (!(mac instanceof Uint8Array) || mac.length !== 6) {
    throw new DmmError(TuntapErrorCode.BadArgument, 'a MAC address is a 6-byte Uint8Array', {
      length: mac instanceof Uint8Array ? mac.length : null,
    });
  }
  if ((mac[0]! & 1) === 1) {
    throw new DmmError(
      TuntapErrorCode.BadArgument,
      `MAC ${formatMacAddress(mac)} is a group (multicast) address`,
      { mac: formatMacAddress(mac) },
    );
  }
  if (mac.every((b) => b === 0)) {
    throw new DmmError(TuntapErrorCode.BadArgument, 'MAC 00:00:00:00:00:00 is not valid', {
      mac: formatMacAddress(mac),
    });
  }
}
