#!/usr/bin/env node
/**
 * The `dmmd` command (the program is dmmd-main.ts).
 *
 * V8 compiles a function the first time it runs. A router's rare paths — an attachment, a
 * handover, a first contact with a peer — would then pay that compilation at the moment
 * their latency matters (about 10 ms of a first handover's PBU on a small machine), so the
 * program is loaded with lazy compilation off: every function is compiled at start-up,
 * once, before the first packet.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-lazy');
await import('./dmmd-main.js');
