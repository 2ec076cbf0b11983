/**
 * The MD5 digests SQS returns so clients can check what it stored (the SDKs do, and fail the
 * call on a mismatch): of the body's UTF-8 bytes, and of the message (system) attributes in SQS's
 * binary encoding:
 *
 *   for each attribute, names sorted (by UTF-16 code units, as SQS's Java sorts them):
 *     u32 length + UTF-8 name | u32 length + UTF-8 data type | u8 transport (1 string, 2 binary)
 *     | u32 length + value (UTF-8 of StringValue, or the bytes of BinaryValue)
 *
 * All lengths big-endian.
 */
import { createHash } from 'node:crypto';
import type { MessageAttribute } from './model.js';

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer[] {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return [length, bytes];
}

/** The digest of a set of attributes; undefined when there are none (SQS omits it then). */
export function md5OfAttributes(attributes: Readonly<Record<string, MessageAttribute>>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const a = attributes[name] as MessageAttribute;
    const binary = a.BinaryValue !== undefined;
    const parts = [
      ...lengthPrefixed(Buffer.from(name, 'utf8')),
      ...lengthPrefixed(Buffer.from(a.DataType, 'utf8')),
      Buffer.of(binary ? 2 : 1),
      ...lengthPrefixed(binary ? Buffer.from(a.BinaryValue as string, 'base64') : Buffer.from(a.StringValue ?? '', 'utf8')),
    ];
    for (const part of parts) hash.update(part);
  }
  return hash.digest('hex');
}
