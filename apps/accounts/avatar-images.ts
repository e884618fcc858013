import sharp, { type Metadata } from 'sharp';
import { badRequest } from '../../src/http/errors.ts';
import { AVATAR_MAX_PIXELS, AVATAR_THUMB_SIZE, AVATAR_TYPES, type AvatarType } from './avatar.ts';

/**
 * Refuses (400) bytes that are not an image of the declared type, or too large to decode.
 * Reads only the header: decoding the pixels is the job's work, off the web process.
 */
export async function checkAvatarImage(body: Buffer, declared: AvatarType): Promise<void> {
  let metadata: Metadata;
  try {
    metadata = await sharp(body).metadata();
  } catch {
    throw badRequest(`The body is not an image that can be read: send the bytes of a ${AVATAR_TYPES[declared].toUpperCase()} file as Content-Type ${declared}.`);
  }
  if (metadata.format !== AVATAR_TYPES[declared]) {
    throw badRequest(`The body is a ${String(metadata.format).toUpperCase()} image, but Content-Type says ${declared}: send a matching Content-Type.`);
  }
  if (metadata.width * metadata.height > AVATAR_MAX_PIXELS) {
    throw badRequest(`The image is ${metadata.width}×${metadata.height} pixels: at most ${AVATAR_MAX_PIXELS / 1_000_000} megapixels.`);
  }
}

/**
 * A square WebP thumbnail: turned upright from the EXIF orientation, cropped to cover the
 * square from the centre, and with no metadata (sharp writes none unless asked: no EXIF
 * location or camera data leaves with a picture).
 */
export async function makeAvatarThumbnail(original: Buffer): Promise<Buffer> {
  return sharp(original, { autoOrient: true, limitInputPixels: AVATAR_MAX_PIXELS })
    .resize(AVATAR_THUMB_SIZE, AVATAR_THUMB_SIZE, { fit: 'cover' })
    .webp({ quality: 80 })
    .toBuffer();
}
