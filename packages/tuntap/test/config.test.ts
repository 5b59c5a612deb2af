/**
 * Device configuration checked with the kernel's own view (`ip -j link show`): MAC, MTU and
 * IFF_UP before and after moving into a namespace, ifindex, persistence, kernel-chosen
 * names (`%d`), multi-queue, and the netdev disappearing on close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tap, Tun } from '@dmm/tuntap';
import { Lab, ip, isDmmErrorCode, linkInfo, requireRoot, rootOnly } from './lab.js';

test('config: MAC, MTU and up before and after moving into a namespace', rootOnly(), () => {
  requireRoot();
  const lab = new Lab();
  try {
    const name = lab.devName('c');
    const tap = lab.track(new Tap({ name }));
    assert.equal(tap.name, name);
    assert.equal(tap.netns, null);
    assert.ok(tap.fd >= 0);
    let link = linkInfo(name)!;
    assert.equal(link.link_type, 'ether');
    assert.equal(tap.ifindex, link.ifindex);
    assert.equal(tap.macString, link.address, 'kernel-assigned MAC read back');
    assert.equal(tap.up, false);

    tap.macString = '02:dd:00:00:0c:01';
    tap.mtu = 1400;
    tap.up = true;
    link = linkInfo(name)!;
    assert.equal(link.address, '02:dd:00:00:0c:01');
    assert.equal(link.mtu, 1400);
    assert.ok(link.flags.includes('UP'), `flags ${link.flags.join(',')}`);
    assert.deepEqual(tap.mac, Uint8Array.of(0x02, 0xdd, 0, 0, 0x0c, 0x01));
    assert.equal(tap.mtu, 1400);
    assert.equal(tap.up, true);

    const ns = lab.netns();
    tap.moveToNetns(ns);
    assert.equal(tap.netns, ns);
    assert.equal(linkInfo(name), null, 'gone from the original namespace');
    link = linkInfo(name, ns)!;
    assert.ok(link !== null, 'present in the target namespace');
    assert.equal(tap.ifindex, link.ifindex);
    assert.equal(link.address, '02:dd:00:00:0c:01', 'MAC survives the move');
    assert.equal(link.mtu, 1400, 'MTU survives the move');
    // dev_change_net_namespace closes the device: it arrives down.
    assert.ok(!link.flags.includes('UP'));
    assert.equal(tap.up, false);
    assert.equal(tap.mtu, 1400);
    assert.equal(tap.macString, '02:dd:00:00:0c:01');

    // Configuration keeps working through the control socket made in the namespace.
    tap.mac = Uint8Array.of(0x02, 0xdd, 0, 0, 0x0c, 0x02);
    tap.mtu = 9000;
    tap.up = true;
    link = linkInfo(name, ns)!;
    assert.equal(link.address, '02:dd:00:00:0c:02');
    assert.equal(link.mtu, 9000);
    assert.ok(link.flags.includes('UP'));
    tap.up = false;
    assert.ok(!linkInfo(name, ns)!.flags.includes('UP'));

    // A second move, from that namespace to another.
    const ns2 = lab.netns();
    tap.moveToNetns(ns2);
    assert.equal(tap.netns, ns2);
    assert.equal(linkInfo(name, ns), null);
    assert.equal(linkInfo(name, ns2)!.mtu, 9000);
    tap.mtu = 1500;
    assert.equal(linkInfo(name, ns2)!.mtu, 1500);

    tap.close();
    assert.equal(tap.closed, true);
    assert.equal(linkInfo(name, ns2), null, 'a non-persistent device disappears on close');
    tap.close(); // idempotent
  } finally {
    lab.cleanup();
  }
});

test('config: a persistent device outlives close and can be reopened', rootOnly(), () => {
  requireRoot();
  const lab = new Lab();
  try {
    const name = lab.devName('p');
    const a = lab.track(new Tap({ name, persist: true }));
    assert.equal(a.persist, true);
    a.mtu = 1280;
    a.close();
    assert.equal(linkInfo(name)!.mtu, 1280, 'still there after close');
    const b = lab.track(new Tap({ name }));
    assert.equal(b.persist, true, 'attached to the persistent device');
    assert.equal(b.mtu, 1280);
    b.persist = false;
    b.close();
    assert.equal(linkInfo(name), null);
  } finally {
    lab.cleanup();
  }
});

test(
  'config: a %d name lets the kernel choose the number; 15 bytes is the limit',
  rootOnly(),
  () => {
    requireRoot();
    const lab = new Lab();
    try {
      const prefix = lab.devName('k').slice(0, 12);
      const tap = lab.track(new Tap({ name: `${prefix}%d` }));
      const tun = lab.track(new Tun({ name: `${prefix}%d` }));
      assert.match(tap.name, new RegExp(`^${prefix}\\d+$`));
      assert.match(tun.name, new RegExp(`^${prefix}\\d+$`));
      assert.notEqual(tap.name, tun.name);
      assert.equal(linkInfo(tap.name)!.link_type, 'ether');
      assert.equal(linkInfo(tun.name)!.link_type, 'none');
      // Exactly 15 bytes is the longest name the kernel takes.
      const full = lab.track(new Tap({ name: `${prefix}abc` }));
      assert.equal(full.name.length, 15);
      const names = [tap.name, tun.name, full.name];
      tap.close();
      tun.close();
      full.close();
      for (const n of names) assert.equal(linkInfo(n), null);
    } finally {
      lab.cleanup();
    }
  },
);

test(
  'config: multi-queue devices take several queues; single-queue ones refuse a second',
  rootOnly(),
  () => {
    requireRoot();
    const lab = new Lab();
    try {
      const mq = lab.devName('m');
      const q1 = lab.track(new Tap({ name: mq, multiQueue: true }));
      const q2 = lab.track(new Tap({ name: mq, multiQueue: true }));
      assert.notEqual(q1.fd, q2.fd);
      assert.equal(q1.ifindex, q2.ifindex);
      assert.ok(ip('-d', 'link', 'show', 'dev', mq).includes('multi_queue'));
      assert.throws(() => new Tap({ name: mq }), isDmmErrorCode('DMM_ERR_TUNTAP_NAME_IN_USE'));
      q1.close();
      assert.ok(linkInfo(mq) !== null, 'alive while one queue is open');
      q2.close();
      assert.equal(linkInfo(mq), null);

      const sq = lab.devName('s');
      lab.track(new Tap({ name: sq }));
      assert.throws(() => new Tap({ name: sq }), isDmmErrorCode('DMM_ERR_TUNTAP_NAME_IN_USE'));
      assert.throws(
        () => new Tap({ name: sq, exclusive: true }),
        isDmmErrorCode('DMM_ERR_TUNTAP_NAME_IN_USE'),
      );
    } finally {
      lab.cleanup();
    }
  },
);
