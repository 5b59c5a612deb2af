/**
 * Results of a view's `check()`: 0 when every reader of the view is safe to call, else a
 * reason why the bytes cannot be that header. The data path turns a non-zero result into a
 * named drop counter; nothing here throws.
 */
export const WireCheck = {
  Ok: 0,
  /** Fewer bytes than the fixed header, or than a length field claims. */
  Truncated: 1,
  /** IP version field is not 6. */
  BadVersion: 2,
  /** A length field is inconsistent (too small for the fixed part, not a multiple, ...). */
  BadLength: 3,
  /** An option or extension header has length 0 where the RFC forbids it (RFC 4861 §4.6). */
  ZeroLengthOption: 4,
  /** An option's length runs past the end of its enclosing header. */
  OptionOverrun: 5,
  /** A field has a value the RFC forbids (reserved type, bad code, bad prefix length, ...). */
  BadField: 6,
  /** The checksum does not verify. */
  BadChecksum: 7,
  /** The header is of another type than the view expects. */
  WrongType: 8,
} as const;

export type WireCheckCode = (typeof WireCheck)[keyof typeof WireCheck];

const NAMES: readonly string[] = [
  'ok',
  'truncated',
  'bad-version',
  'bad-length',
  'zero-length-option',
  'option-overrun',
  'bad-field',
  'bad-checksum',
  'wrong-type',
];

/** Stable kebab-case name of a check result, for counters and messages. */
export function wireCheckName(code: number): string {
  return NAMES[code] ?? `unknown-${code}`;
}
