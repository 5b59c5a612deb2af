import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { YamlSource, isDmmError, zIpv6Prefix } from '@dmm/core';

const schema = z.strictObject({
  name: z.string(),
  interfaces: z.array(z.strictObject({ name: z.string(), mtu: z.number().int().min(1280) })),
  routes: z.array(z.strictObject({ prefix: zIpv6Prefix })).default([]),
});

function issuesOf(text: string): string[] {
  try {
    new YamlSource('r1.yaml', text).validate(schema);
  } catch (e) {
    assert.ok(isDmmError(e, 'DMM_ERR_CONFIG_INVALID'));
    return (e as Error).message.split('\n');
  }
  assert.fail('config was accepted');
}

test('yaml config: type errors name file, line, column and key', () => {
  const lines = issuesOf(`name: r1
interfaces:
  - name: lan0
    mtu: "big"
`);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^r1\.yaml:4:10: interfaces\[0\]\.mtu: /);
});

test('yaml config: an unknown key points at the key itself', () => {
  const lines = issuesOf(`name: r1
interfaces:
  - name: lan0
    mtu: 1500
    colour: blue
`);
  assert.match(lines[0]!, /^r1\.yaml:5:5: interfaces\[0\]\.colour: unknown key "colour"/);
});

test('yaml config: every problem is listed, values parsed by our types report their own message', () => {
  const lines = issuesOf(`name: 3
interfaces: []
routes:
  - prefix: 2001:db8::1/48
`);
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^r1\.yaml:1:7: name: /);
  assert.match(
    lines[1]!,
    /^r1\.yaml:4:13: routes\[0\]\.prefix: 2001:db8::1\/48 has bits set past \/48/,
  );
});

test('yaml config: a syntax error is reported with its line', () => {
  assert.throws(
    () => new YamlSource('bad.yaml', 'name: r1\ninterfaces: [\n'),
    (e) =>
      isDmmError(e, 'DMM_ERR_CONFIG_INVALID') && /^bad\.yaml:\d+:\d+: /.test((e as Error).message),
  );
});

test('yaml config: a valid file parses into typed values', () => {
  const cfg = new YamlSource(
    'ok.yaml',
    'name: r1\ninterfaces: [{name: lan0, mtu: 1500}]\nroutes: [{prefix: "::/0"}]\n',
  ).validate(schema);
  assert.equal(cfg.interfaces[0]!.mtu, 1500);
  assert.equal(cfg.routes[0]!.prefix.prefixLen, 0);
});
