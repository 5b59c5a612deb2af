import { AssertionError } from 'node:assert';

/** One named field of a header layout, for pointing at the first differing byte. */
export interface FieldSpan {
  readonly name: string;
  readonly off: number;
  readonly len: number;
}

/**
 * Compares two byte arrays and, on mismatch, throws an AssertionError whose message has
 * a hexdump of both, the offset of the first difference and, when a layout is given, the
 * name of the field at that offset. `Buffer` and `Uint8Array` compare by content.
 */
export function assertBytes(
  actual: Uint8Array,
  expected: Uint8Array,
  layout?: readonly FieldSpan[],
  message?: string,
): void {
  const n = Math.max(actual.length, expected.length);
  let first = -1;
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      first = i;
      break;
    }
  }
  if (first === -1) return;
  const field = layout?.find((f) => first >= f.off && first < f.off + f.len);
  const where = field
    ? ` in field "${field.name}" (bytes ${field.off}..${field.off + field.len - 1})`
    : '';
  const lenNote =
    actual.length !== expected.length
      ? `\nlength: actual ${actual.length}, expected ${expected.length}`
      : '';
  throw new AssertionError({
    message:
      `${message ? message + ': ' : ''}bytes differ at offset ${first}${where}` +
      ` (actual 0x${hexByte(actual[first])}, expected 0x${hexByte(expected[first])})${lenNote}\n` +
      `actual:\n${hexdump(actual, first)}\nexpected:\n${hexdump(expected, first)}`,
    actual: Buffer.from(actual).toString('hex'),
    expected: Buffer.from(expected).toString('hex'),
    operator: 'assertBytes',
  });
}

function hexByte(b: number | undefined): string {
  return b === undefined ? '--' : b.toString(16).padStart(2, '0');
}

/** 16 bytes per line with the offset; the byte at `mark` is bracketed. */
export function hexdump(bytes: Uint8Array, mark = -1): string {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    let line = off.toString(16).padStart(4, '0') + '  ';
    for (let i = off; i < Math.min(off + 16, bytes.length); i++) {
      const h = hexByte(bytes[i]);
      line += i === mark ? `[${h}]` : ` ${h} `;
    }
    lines.push(line.trimEnd());
  }
  return lines.join('\n');
}
