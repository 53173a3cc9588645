// The LZ4 frame format (lz4_Frame_format.md): magic, FLG, BD, optional content size and dictionary id, header
// checksum; then blocks, each a 4-byte little-endian size (high bit: stored uncompressed) and an optional checksum,
// up to a zero end mark and an optional content checksum. Frames may follow one another, skippable frames among them.
const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;
const BLOCK_UNCOMPRESSED = 0x80000000;
const BLOCK_MAX_SIZES: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };

/**
 * The most the LZ4 frames in `buffer` can decompress to, read from their headers without decompressing: every block
 * expands to at most the frame's block maximum size. Encoders fill each block but the last, so the bound exceeds
 * the real size by less than one block.
 */
export function readLz4FrameBound(buffer: Buffer): number {
  let bound = 0;
  for (let position = 0; position < buffer.length;) {
    const magic = readUInt32LE(buffer, position);
    if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      position += 8 + readUInt32LE(buffer, position + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw new Error(`LZ4 frame has magic 0x${magic.toString(16)}, not 0x${FRAME_MAGIC.toString(16)}`);
    const frame = readFrame(buffer, position + 4);
    bound += frame.bound;
    position = frame.end;
  }
  return bound;
}

function readFrame(buffer: Buffer, headerAt: number): { bound: number; end: number } {
  const flg = readByte(buffer, headerAt);
  const blockMaxSize = BLOCK_MAX_SIZES[(readByte(buffer, headerAt + 1) >> 4) & 0x07];
  if (blockMaxSize === undefined) throw new Error('LZ4 frame names no valid block maximum size');
  let position = headerAt + 2 + (flg & FLG_CONTENT_SIZE ? 8 : 0) + (flg & FLG_DICT_ID ? 4 : 0) + 1;
  let bound = 0;
  for (;;) {
    const blockSize = readUInt32LE(buffer, position);
    position += 4;
    if (blockSize === 0) break;
    bound += blockMaxSize;
    position += (blockSize & ~BLOCK_UNCOMPRESSED) + (flg & FLG_BLOCK_CHECKSUM ? 4 : 0);
  }
  return { bound, end: position + (flg & FLG_CONTENT_CHECKSUM ? 4 : 0) };
}

function readUInt32LE(buffer: Buffer, at: number): number {
  if (at + 4 > buffer.length) throw new Error('LZ4 frame ends inside a header or block size');
  return buffer.readUInt32LE(at);
}

function readByte(buffer: Buffer, at: number): number {
  if (at >= buffer.length) throw new Error('LZ4 frame ends inside its header');
  return buffer[at];
}
