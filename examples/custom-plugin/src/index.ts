/**
 * `flow-counters`: a complete dmm-router plugin in one file, as an example of the plugin
 * API. It adds a feature node to the `ip6-forward` arc that counts packets and bytes per
 * flow (source, destination, next header) without allocating, and a control command
 * `show flows` (`dmmctl show flows --top 20`), plus `clear flows`.
 *
 * Load it from a dmmd config:
 *
 * ```yaml
 * plugins:
 *   - module: ../examples/custom-plugin/dist/src/index.js
 *     config: { maxFlows: 4096 }
 * ```
 */
import { z } from 'zod';
import { ARC_NEXT, Ip6Arc, definePlugin, formatIpv6Address, type NodeDef } from '@dmm/core';
import { ipProtoName } from '@dmm/wire';
import { FlowTable } from './flow-table.js';

const configSchema = z.strictObject({
  /** Most flows remembered; later flows are only counted in `overflow`. */
  maxFlows: z.number().int().min(1).max(1_000_000).default(4096),
  /** Count forwarded packets (default) or everything sent, forwarded and router-originated. */
  arc: z.enum([Ip6Arc.Forward, Ip6Arc.Output]).default(Ip6Arc.Forward),
});

export type FlowCountersConfig = z.infer<typeof configSchema>;

export const plugin = definePlugin<FlowCountersConfig>({
  name: 'flow-counters',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  configSchema: configSchema as unknown as z.ZodType<FlowCountersConfig>,
  setup(ctx, config) {
    const flows = new FlowTable(config.maxFlows);

    // The data path: one call per vector of up to 256 packets; no allocation, no throw.
    const node: NodeDef = {
      name: 'flow-counters',
      next: [ARC_NEXT],
      errors: [],
      process(v, rt) {
        for (let i = 0; i < v.length; i++) {
          const pb = v.items[i]!;
          flows.count(pb.bytes, pb.l3, pb.end - pb.l3);
          rt.next(0, pb);
        }
      },
    };
    ctx.addFeature(config.arc, node);

    // The control plane: what dmmctl shows.
    ctx.registerCommand({
      path: 'show flows',
      help: 'heaviest flows by bytes: show flows [--top N]',
      run: (args) => {
        const n = typeof args.top === 'number' ? args.top : Number(args.top ?? 20);
        return {
          flows: flows.top(Number.isFinite(n) ? n : 20).map((s) => ({
            source: formatIpv6Address(flows.keys, s * 33),
            destination: formatIpv6Address(flows.keys, s * 33 + 16),
            protocol: ipProtoName(flows.keys[s * 33 + 32]!),
            packets: flows.packets[s]!,
            bytes: flows.bytes[s]!,
          })),
          tracked: flows.size,
          overflow: flows.overflow,
        };
      },
      table: (r) => ({
        columns: ['SOURCE', 'DESTINATION', 'PROTO', 'PACKETS', 'BYTES'],
        rows: (r as { flows: Record<string, string | number>[] }).flows.map((f) => [
          String(f.source),
          String(f.destination),
          String(f.protocol),
          String(f.packets),
          String(f.bytes),
        ]),
      }),
    });
    ctx.registerCommand({
      path: 'clear flows',
      help: 'forget every flow',
      run: () => {
        flows.clear();
        return { cleared: true };
      },
    });
    ctx.log.info({ maxFlows: config.maxFlows, arc: config.arc }, 'counting flows');
  },
});
