/**
 * The RFC 5213 §9 variables: defaults as protocol.md §2.10 lists them (MinDelayBeforeBCEDelete
 * 10000 ms, MaxDelayBeforeNewBCEAssign 1500 ms, TimestampValidityWindow 300 ms, timestamps
 * on, all-zero fixed addresses = off), RFC 6275's 1.5 s / 32 s retransmission values, and
 * the schema other plugins embed (strict names, YAML-ish input, all-zero → null).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { hex } from '@dmm/testkit';
import {
  BindingCache,
  PMIP_VARIABLE_DEFAULTS,
  pmipVariables,
  pmipVariablesSchema,
} from '@dmm/binding-cache';

test('defaults carry RFC 5213 §9 names and values', () => {
  assert.deepEqual(
    { ...PMIP_VARIABLE_DEFAULTS },
    {
      MinDelayBeforeBCEDelete: 10_000,
      MaxDelayBeforeNewBCEAssign: 1_500,
      TimestampValidityWindow: 300,
      TimestampBasedApproachInUse: true,
      MobileNodeGeneratedTimestampInUse: false,
      FixedMAGLinkLocalAddressOnAllAccessLinks: null,
      FixedMAGLinkLayerAddressOnAllAccessLinks: null,
      EnableMAGLocalRouting: false,
      InitialBindackTimeoutFirstReg: 1_500,
      MaxBindackTimeout: 32_000,
      RefreshLifetimeFraction: 0.8,
    },
  );
  assert.ok(Object.isFrozen(PMIP_VARIABLE_DEFAULTS));
  assert.equal(pmipVariables({ MinDelayBeforeBCEDelete: 5 }).MinDelayBeforeBCEDelete, 5);
  assert.equal(pmipVariables({ MinDelayBeforeBCEDelete: 5 }).MaxDelayBeforeNewBCEAssign, 1500);
  assert.equal(new BindingCache().variables.MinDelayBeforeBCEDelete, 10_000);
});

test('the schema fills defaults and parses addresses; all-zero addresses mean off', () => {
  assert.deepEqual(pmipVariablesSchema.parse({}), { ...PMIP_VARIABLE_DEFAULTS });
  const v = pmipVariablesSchema.parse({
    MinDelayBeforeBCEDelete: 2000,
    FixedMAGLinkLocalAddressOnAllAccessLinks: 'fe80::1',
    FixedMAGLinkLayerAddressOnAllAccessLinks: '02:00:00:00:00:aa',
    EnableMAGLocalRouting: true,
  });
  assert.equal(v.MinDelayBeforeBCEDelete, 2000);
  assert.deepEqual(v.FixedMAGLinkLocalAddressOnAllAccessLinks, hex`fe80::1`);
  assert.deepEqual(v.FixedMAGLinkLayerAddressOnAllAccessLinks, hex`02:00:00:00:00:aa`);
  assert.equal(v.EnableMAGLocalRouting, true);
  const off = pmipVariablesSchema.parse({
    FixedMAGLinkLocalAddressOnAllAccessLinks: '::',
    FixedMAGLinkLayerAddressOnAllAccessLinks: '00:00:00:00:00:00',
  });
  assert.equal(off.FixedMAGLinkLocalAddressOnAllAccessLinks, null);
  assert.equal(off.FixedMAGLinkLayerAddressOnAllAccessLinks, null);
});

test('the schema rejects misspelt names, bad values, and an initial timeout above the ceiling', () => {
  const issues = (input: unknown) => {
    const r = pmipVariablesSchema.safeParse(input);
    assert.equal(r.success, false);
    return r.error!.issues.map((i) => i.path.join('.') + ': ' + i.code);
  };
  assert.deepEqual(issues({ MinDelayBeforeBceDelete: 1 }), [': unrecognized_keys']);
  assert.deepEqual(issues({ MaxDelayBeforeNewBCEAssign: -1 }), [
    'MaxDelayBeforeNewBCEAssign: too_small',
  ]);
  assert.deepEqual(issues({ TimestampValidityWindow: 1.5 }), [
    'TimestampValidityWindow: invalid_type',
  ]);
  assert.deepEqual(issues({ RefreshLifetimeFraction: 0 }), ['RefreshLifetimeFraction: too_small']);
  assert.deepEqual(issues({ RefreshLifetimeFraction: 1.2 }), ['RefreshLifetimeFraction: too_big']);
  assert.deepEqual(issues({ FixedMAGLinkLocalAddressOnAllAccessLinks: 'fe80::/64' }), [
    'FixedMAGLinkLocalAddressOnAllAccessLinks: custom',
  ]);
  assert.deepEqual(issues({ InitialBindackTimeoutFirstReg: 40_000 }), [
    'InitialBindackTimeoutFirstReg: custom',
  ]);
});

test('a plugin embeds the schema as a config section with every default', () => {
  const lmaConfig = z.strictObject({
    address: z.string(),
    pmip: pmipVariablesSchema.prefault({}),
  });
  const c = lmaConfig.parse({ address: 'fd00:100::1' });
  assert.equal(c.pmip.MinDelayBeforeBCEDelete, 10_000);
  const d = lmaConfig.parse({ address: 'x', pmip: { MaxDelayBeforeNewBCEAssign: 2500 } });
  assert.equal(d.pmip.MaxDelayBeforeNewBCEAssign, 2500);
  assert.equal(d.pmip.MinDelayBeforeBCEDelete, 10_000);
  // and the parsed section goes straight into a cache
  assert.equal(new BindingCache({ variables: d.pmip }).variables.MaxDelayBeforeNewBCEAssign, 2500);
});
