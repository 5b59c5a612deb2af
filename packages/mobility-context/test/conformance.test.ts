/**
 * The conformance suite (src/conformance.ts) against both backends: the in-process one, with
 * peers sharing one `MemoryContextData`, and SQLite, with peers as further connections to
 * the same file in a fresh temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryContextData, MemoryContextStore, SqliteContextStore } from '@dmm/mobility-context';
import { contextStoreConformance } from '@dmm/mobility-context/conformance';

contextStoreConformance('memory', {
  async open(options) {
    const data = new MemoryContextData();
    return {
      store: new MemoryContextStore({ ...options, data }),
      peer: async () => new MemoryContextStore({ ...options, data }),
      cleanup: async () => {},
    };
  },
});

contextStoreConformance('sqlite', {
  async open(options) {
    const dir = mkdtempSync(join(tmpdir(), 'dmm-context-'));
    const path = join(dir, 'context.db');
    return {
      store: new SqliteContextStore({ ...options, path }),
      peer: async () => new SqliteContextStore({ ...options, path }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});
