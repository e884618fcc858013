import type { Metadata } from 'sharp';
import { loadSharp } from '../../src/support/sharp.ts';
import { badRequest } from '../../src/http/errors.ts';
import { AVATAR_MAX_PIXELS, AVATAR_MAX_SIDE, AVATAR_THUMB_SIZE, AVATAR_TYPES, type AvatarType } from './avatar.ts';

/**
 * Refuses (400) bytes that are not an image of the declared type, too large to decode, or
 * that do not decode to the end, so the thumbnail job only gets images it can process.
 *
 * The header first (format and dimensions, no pixels): a decompression bomb is refused before
 * any decoding. Then one full decode into a 1×1 image, which every decoder must read to the
 * end for (JPEG shrinks on load, so this costs less than the thumbnail): about 5 ms for a
 * 512×512 JPEG, 15 ms for a 1024×1024 PNG, 45 ms for a 12 MP photo, on the libuv pool.
 */
export async function checkAvatarImage(body: Buffer, declared: AvatarType): Promise<void> {
  const format = AVATAR_TYPES[declared].toUpperCase();
  const sharp = await loadSharp();
  let metadata: Metadata;
  try {
    // No pixel limit here: the header is read either way, and the check below names the size.
    metadata = await sharp(body, { limitInputPixels: false }).metadata();
  } catch {
    throw badRequest(`The body is not an image that can be read: send the bytes of a ${format} file as Content-Type ${declared}.`);
  }
  if (metadata.format !== AVATAR_TYPES[declared]) {
    throw badRequest(`The body is a ${String(metadata.format).toUpperCase()} image, but Content-Type says ${declared}: send a matching Content-Type.`);
  }
  const tooLarge = sizeProblem(metadata);
  if (tooLarge) throw badRequest(`${tooLarge}.`);
  try {
    await sharp(body, { failOn: 'error', limitInputPixels: AVATAR_MAX_PIXELS }).resize(1, 1, { fit: 'fill' }).raw().toBuffer();
  } catch (error) {
    const reason = error instanceof Error ? ` (${error.message.trim().split('\n')[0]})` : '';
    if (endsEarly(body, metadata.format)) {
      throw badRequest(`The image is truncated: the ${format} data ends before the image is complete${reason}. Upload the whole file.`);
    }
    throw badRequest(`The image data is corrupt: the ${format} header reads but its pixels cannot be decoded${reason}.`);
  }
}

/** Why an image of this size cannot be made into a thumbnail, or undefined when it can. */
function sizeProblem({ width, height }: Pick<Metadata, 'width' | 'height'>): string | undefined {
  if (width * height > AVATAR_MAX_PIXELS) {
    return `The image is ${width}×${height} pixels: at most ${AVATAR_MAX_PIXELS / 1_000_000} megapixels (${AVATAR_MAX_PIXELS} pixels)`;
  }
  if (width > AVATAR_MAX_SIDE || height > AVATAR_MAX_SIDE) {
    return `The image is ${width}×${height} pixels: at most ${AVATAR_MAX_SIDE} pixels wide and ${AVATAR_MAX_SIDE} pixels high`;
  }
  return undefined;
}

/** Whether the file stops before its format's end marker: no PNG IEND chunk, no JPEG EOI, fewer bytes than the WebP RIFF size. */
function endsEarly(body: Buffer, format: string): boolean {
  switch (format) {
    case 'png':
      return body.lastIndexOf('IEND', undefined, 'latin1') < 0;
    case 'jpeg':
      return body.lastIndexOf(Buffer.from([0xff, 0xd9])) < 0;
    case 'webp':
      return body.length < 12 || body.readUInt32LE(4) + 8 > body.length;
    default:
      return false;
  }
}

/**
 * A square WebP thumbnail: turned upright from the EXIF orientation, cropped to cover the
 * square from the centre, and with no metadata (sharp writes none unless asked: no EXIF
 * location or camera data leaves with a picture). The worker applies the same size limits and
 * failOn level as the upload check, so what was accepted decodes here.
 */
export async function makeAvatarThumbnail(original: Buffer): Promise<Buffer> {
  const sharp = await loadSharp();
  // An original stored before the upload checks: a clear error instead of libvips' (the job still fails).
  const tooLarge = sizeProblem(await sharp(original, { limitInputPixels: false }).metadata());
  if (tooLarge) throw new Error(`avatar original: ${tooLarge}`);
  return sharp(original, { autoOrient: true, failOn: 'error', limitInputPixels: AVATAR_MAX_PIXELS })
    .resize(AVATAR_THUMB_SIZE, AVATAR_THUMB_SIZE, { fit: 'cover' })
    .webp({ quality: 80 })
    .toBuffer();
}
