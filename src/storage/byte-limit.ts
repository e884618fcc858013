import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ObjectTooLargeError } from './contract.ts';

/**
 * `source` through a counter: the returned stream fails with ObjectTooLargeError as soon as more
 * than `maxBytes` went through (no limit when undefined), and with the source's error if it fails.
 * `size()` is the number of bytes passed so far.
 */
export function limitBytes(source: Readable, maxBytes: number | undefined): { stream: Readable; size(): number } {
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (maxBytes !== undefined && size > maxBytes) callback(new ObjectTooLargeError(maxBytes));
      else callback(null, chunk);
    },
  });
  // pipeline destroys both sides on an error, so the reader of `counter` sees it; the promise's own rejection is that same error.
  pipeline(source, counter).catch(() => {});
  return { stream: counter, size: () => size };
}
