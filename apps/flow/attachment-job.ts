import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { loadSharp } from '../../src/support/sharp.ts';
import { Id } from '../../src/http/params.ts';
import type { JobFactory } from '../../src/platform/app-module.ts';
import { ATTACHMENT_THUMBNAIL_JOB, isImage, THUMB_SIZE } from './attachment.ts';
import { thumbnailKeyOf } from './attachment-files.ts';
import { AttachmentStore } from './attachments-store.ts';

const Payload = Type.Object({ attachmentId: Id }, { additionalProperties: false });
/** As for avatars: a few KB of PNG can claim billions of pixels; decoding that would take the worker's memory. */
const MAX_PIXELS = 50_000_000;

/**
 * `flow.attachment-thumbnail` {attachmentId}: a WebP of at most 256×256 (aspect kept, never
 * enlarged, turned upright, no metadata) beside the original. An attachment deleted meanwhile
 * makes it a no-op, or removes the thumbnail it wrote. An image sharp cannot decode gets no
 * thumbnail (logged, not retried: it will not decode next time either).
 */
export const attachmentJobs: JobFactory = (services) => ({
  async [ATTACHMENT_THUMBNAIL_JOB](payload, { signal }) {
    if (!Value.Check(Payload, payload)) throw new Error(`${ATTACHMENT_THUMBNAIL_JOB}: malformed payload`);
    const store = AttachmentStore.of(services);
    const attachment = await store.find(payload.attachmentId);
    if (!attachment || !isImage(attachment.contentType) || attachment.thumbnailKey) return;
    const original = await services.storage.get(attachment.storageKey);
    if (!original) return;
    const sharp = await loadSharp();
    let thumb: Buffer;
    try {
      thumb = await sharp(original.body, { autoOrient: true, failOn: 'error', limitInputPixels: MAX_PIXELS, animated: false })
        .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 80 })
        .toBuffer();
    } catch (error) {
      services.logger.warn({ attachmentId: attachment.id, err: error }, 'attachment image cannot be decoded: no thumbnail');
      return;
    }
    signal.throwIfAborted();
    const key = thumbnailKeyOf(attachment.storageKey);
    await services.storage.put(key, thumb, { contentType: 'image/webp' });
    if (!(await store.setThumbnail(attachment.id, key))) await services.storage.delete(key);
  },
});
