/**
 * The central LMA's configuration schema: defaults, and every cross-value check with its path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  interOperatorLmaConfigSchema,
  type InterOperatorLmaConfigInput,
} from '@dmm/plugin-inter-operator-lma';

const base: InterOperatorLmaConfigInput = {
  address: 'fd00:100::100',
  operators: [
    { name: 'op-a', dgws: [{ id: 1, address: 'fd00:100::1' }], prefixes: ['2001:db8:1::/48'] },
    { name: 'op-b', dgws: [{ id: 11, address: 'fd00:100::11' }], prefixes: ['2001:db8:11::/48'] },
  ],
};

function issues(c: unknown): string[] {
  const r = interOperatorLmaConfigSchema.safeParse(c);
  assert.equal(r.success, false);
  return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

test('defaults', () => {
  const c = interOperatorLmaConfigSchema.parse(base);
  assert.equal(c.name, 'lma');
  assert.equal(c.relay, undefined, 'every pair of operators');
  assert.equal(c.maxBindings, 65_536);
  assert.equal(c.maxLifetime, 3600);
  assert.equal(c.tableBase, 100);
  assert.equal(c.retransmission.InitialBindackTimeoutFirstReg, 1500);
  assert.equal(c.pmip.TimestampValidityWindow, 300);
});

test('checks beyond types, each at its path', () => {
  assert.deepEqual(issues({ ...base, extra: 1 }), [': Unrecognized key: "extra"']);
  assert.deepEqual(issues({ ...base, operators: [base.operators[0]] }), [
    'operators: Too small: expected array to have >=2 items',
  ]);
  assert.deepEqual(
    issues({
      ...base,
      operators: [
        base.operators[0],
        {
          name: 'op-a',
          dgws: [
            { id: 1, address: 'fd00:100::100' },
            { id: 12, name: 'dgw1', address: 'fd00:100::1' },
            { id: 13, address: '2001:db8:1::5' },
          ],
          prefixes: ['2001:db8:1::/48'],
        },
      ],
    }),
    [
      'operators.1.name: already operators[0]',
      'operators.1.dgws.0.name: "dgw1" is also operators[0].dgws[0]',
      'operators.1.dgws.0.address: this is our own address',
      'operators.1.dgws.1.name: "dgw1" is also operators[1].dgws[0]',
      'operators.1.dgws.1.address: the address of operators[0].dgws[0] as well',
      "operators.1.dgws.2.address: 2001:db8:1::5 lies inside the operator's anchored prefixes",
    ],
  );
  assert.deepEqual(
    issues({
      ...base,
      relay: [
        { from: 'op-a', to: 'op-x' },
        { from: 'op-b', to: 'op-b' },
      ],
    }),
    [
      'relay.0.to: no operator named op-x',
      'relay.1: one operator: its D-GWs signal each other directly (draft §4)',
    ],
  );
  // two D-GWs: T(A) 250 and 251, Tunbound 252
  assert.equal(interOperatorLmaConfigSchema.safeParse({ ...base, tableBase: 250 }).success, true);
  assert.deepEqual(issues({ ...base, tableBase: 251 }), [
    'tableBase: tables 251..253 (one per D-GW, and one) reach 253–255, the reserved ones',
  ]);
});
