/**
 * Coded errors. Every error dmm-router throws on purpose is a `DmmError` with a stable
 * `code` (tests and scripts match on it; messages may change). One subclass per condition
 * family; the codes are listed in docs/errors.md.
 *
 * Errors belong to configuration, setup, the control API and `Repr.parse`; the data path
 * never throws (a malformed packet is a named drop counter).
 */
export class DmmError extends Error {
  readonly code: string;
  /** Structured details for logs and the control API (JSON-serialisable). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DmmError';
    this.code = code;
    this.details = details;
  }
}

/** Defines an error subclass whose instances carry `code`. */
function defineError(name: string, code: string) {
  const C = class extends DmmError {
    constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
      super(code, message, details, options);
      this.name = name;
    }
  };
  Object.defineProperty(C, 'name', { value: name });
  return C;
}

export const ConfigError = defineError('ConfigError', 'DMM_ERR_CONFIG_INVALID');
export const PoolExhaustedError = defineError('PoolExhaustedError', 'DMM_ERR_POOL_EXHAUSTED');
export const BufferOwnershipError = defineError('BufferOwnershipError', 'DMM_ERR_BUFFER_OWNERSHIP');
export const GraphError = defineError('GraphError', 'DMM_ERR_GRAPH');
export const DeviceError = defineError('DeviceError', 'DMM_ERR_DEVICE');
export const PluginError = defineError('PluginError', 'DMM_ERR_PLUGIN');

/** True when `e` is a DmmError with the given code. */
export function isDmmError(e: unknown, code?: string): e is DmmError {
  return e instanceof DmmError && (code === undefined || e.code === code);
}
