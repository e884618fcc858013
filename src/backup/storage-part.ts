import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { BackupObjects } from './objects.ts';

const CONTENT_TYPE = 'MARG.content-type';
const PREFIX = 'objects/';

/** tar-stream reads and writes pax records (`header.pax`); its type definitions leave them out. */
type PaxHeaders = tar.Headers & { pax?: Record<string, string> };

/** Every object as a tar entry `objects/<key>`, its content type in a pax header. */
export function packObjects(objects: BackupObjects, onObject: (key: string) => void = () => {}): Readable {
  const pack = tar.pack();
  void (async () => {
    try {
      for await (const key of objects.keys()) {
        const object = await objects.read(key);
        // Deleted between the listing and the read: it was not there at that point.
        if (!object) continue;
        await new Promise<void>((resolve, reject) =>
          pack.entry({ name: `${PREFIX}${key}`, size: object.body.length, mode: 0o644, mtime: new Date(0), pax: { [CONTENT_TYPE]: object.contentType } } as PaxHeaders, object.body, (error) => (error ? reject(error) : resolve())),
        );
        onObject(key);
      }
      pack.finalize();
    } catch (error) {
      pack.destroy(error as Error);
    }
  })();
  return pack;
}

/** Writes every object of the archive, then deletes the keys the backup does not have: the storage ends as it was backed up. */
export async function unpackObjects(archive: Readable, objects: BackupObjects): Promise<number> {
  const before = new Set<string>();
  for await (const key of objects.keys()) before.add(key);
  const extract = tar.extract();
  archive.on('error', (error) => extract.destroy(error));
  archive.pipe(extract);
  let count = 0;
  for await (const entry of extract) {
    const { name, pax } = entry.header as PaxHeaders;
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    if (!name.startsWith(PREFIX)) continue;
    const key = name.slice(PREFIX.length);
    await objects.write(key, Buffer.concat(chunks), pax?.[CONTENT_TYPE] ?? 'application/octet-stream');
    before.delete(key);
    count++;
  }
  for (const key of before) await objects.remove(key);
  return count;
}
