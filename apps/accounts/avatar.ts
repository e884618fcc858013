import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { Id } from '../../src/http/params.ts';
import type { Services } from '../../src/platform/services.ts';

/** Makes `avatars/<userId>/thumb.webp` from the uploaded original (avatar-job.ts). */
export const AVATAR_THUMBNAIL_JOB = 'accounts.avatar-thumbnail';

/** The largest upload, in bytes. */
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;
/**
 * The largest image, in pixels: phone cameras reach 48 MP; a few KB of PNG can claim far more
 * (a decompression bomb), and decoding that would take a worker's memory.
 */
export const AVATAR_MAX_PIXELS = 50_000_000;
/**
 * The longest side, in pixels. The thumbnail covers a square, so a thin image is scaled by
 * its short side: a 49,000,000×1 PNG (few KB, under the pixel limit) would be stretched to
 * billions of pixels and fail in the worker. Cameras and panoramas stay well below.
 */
export const AVATAR_MAX_SIDE = 16_384;
export const AVATAR_THUMB_SIZE = 128;

/** What an upload may be: its Content-Type, and the format sharp must find in the bytes. */
export const AVATAR_TYPES = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp' } as const;
export type AvatarType = keyof typeof AVATAR_TYPES;

export function isAvatarType(type: string): type is AvatarType {
  return Object.hasOwn(AVATAR_TYPES, type);
}

export function avatarKeys(userId: number): { readonly original: string; readonly thumb: string } {
  return { original: `avatars/${userId}/original`, thumb: `avatars/${userId}/thumb.webp` };
}

/**
 * An original's version is the SHA-256 of its bytes: the job can tell from the stored original
 * alone whether it is still the one it was dispatched for (no second record to keep in step),
 * and uploading the same picture again while its job waits queues nothing new.
 */
export function avatarVersion(original: Buffer): string {
  return createHash('sha256').update(original).digest('hex');
}

export const AvatarJobPayload = Type.Object(
  { userId: Id, version: Type.String({ pattern: '^[0-9a-f]{64}$' }) },
  { additionalProperties: false },
);
export type AvatarJobPayload = Static<typeof AvatarJobPayload>;

const JOB_OPTIONS = { tries: 3, backoff: { type: 'exponential', delayMs: 5_000 } } as const;

/** After an upload: one job per user and version (a second upload of the same bytes while it waits is dropped). */
export async function dispatchAvatarThumbnail(services: Services, payload: AvatarJobPayload): Promise<void> {
  await services.queue.dispatch(AVATAR_THUMBNAIL_JOB, { ...payload }, { ...JOB_OPTIONS, uniqueKey: `${AVATAR_THUMBNAIL_JOB}:${payload.userId}:${payload.version}` });
}

/**
 * A repair, when a job finds that the original changed while it worked: no unique key, because
 * the job for the new version may be running already and past writing its thumbnail.
 */
export async function dispatchAvatarRepair(services: Services, payload: AvatarJobPayload): Promise<void> {
  await services.queue.dispatch(AVATAR_THUMBNAIL_JOB, { ...payload }, JOB_OPTIONS);
}
