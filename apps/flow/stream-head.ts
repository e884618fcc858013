import { Readable } from 'node:stream';

/**
 * Reads the first `bytes` (or fewer, at the end) of `stream`, and gives a stream of the whole
 * content again: the head, then the rest as it arrives. Hand-written: Node has no unshift for a
 * stream consumed through its async iterator, and no small library does just this.
 */
export async function peek(stream: Readable, bytes: number): Promise<{ head: Buffer; rest: Readable }> {
  const iterator: AsyncIterator<Buffer> = stream[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head: head.subarray(0, Math.min(head.length, bytes)), rest: Readable.from(all(), { objectMode: false }) };
}
