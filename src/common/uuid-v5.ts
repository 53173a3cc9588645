import { hash } from 'node:crypto';

const namespaceBytes = new Map<string, Buffer>();

/**
 * RFC 9562 name-based UUID (version 5, SHA-1): the same namespace and name give the same id on every run. Two per
 * invoice on the hot path, so one-shot hashing of namespace and name in one buffer, the namespace parsed once.
 */
export function uuidV5(namespace: string, name: string): string {
  let prefix = namespaceBytes.get(namespace);
  if (!prefix) namespaceBytes.set(namespace, (prefix = Buffer.from(namespace.replace(/-/g, ''), 'hex')));
  const input = Buffer.allocUnsafe(16 + Buffer.byteLength(name));
  prefix.copy(input);
  input.write(name, 16);
  const bytes = hash('sha1', input, 'buffer');
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
