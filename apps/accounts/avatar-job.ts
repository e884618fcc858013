import { Value } from '@sinclair/typebox/value';
import type { JobFactory } from '../../src/platform/app-module.ts';
import type { Services } from '../../src/platform/services.ts';
import { AVATAR_THUMBNAIL_JOB, AvatarJobPayload, avatarKeys, avatarVersion, dispatchAvatarRepair } from './avatar.ts';
import { makeAvatarThumbnail } from './avatar-images.ts';

/**
 * `accounts.avatar-thumbnail` {userId, version}: makes `avatars/<userId>/thumb.webp` from the
 * original, if the original is still the version the upload dispatched. An original that was
 * replaced or deleted makes this a no-op: the newer upload has its own job.
 *
 * Safe to run twice, and in any order with other uploads: after writing, the job looks at the
 * original again. Changed meanwhile: the thumbnail it wrote may be stale, so it queues a repair
 * for the current version; gone: it removes the thumbnail it may have brought back. So the last
 * thumbnail written always comes from the current original.
 */
export const avatarJobs: JobFactory = (services) => ({
  async [AVATAR_THUMBNAIL_JOB](payload, { signal }) {
    if (!Value.Check(AvatarJobPayload, payload)) {
      throw new Error(`${AVATAR_THUMBNAIL_JOB}: malformed payload (${[...Value.Errors(AvatarJobPayload, payload)][0]?.message ?? 'invalid'})`);
    }
    const { userId, version } = payload;
    const keys = avatarKeys(userId);
    const original = await services.storage.get(keys.original);
    if (!original || avatarVersion(original.body) !== version) {
      services.logger.debug({ userId }, 'avatar original replaced or deleted: nothing to do');
      return;
    }
    const thumb = await makeAvatarThumbnail(original.body);
    signal.throwIfAborted();
    await services.storage.put(keys.thumb, thumb, { contentType: 'image/webp' });
    await settle(services, userId, version);
    services.logger.info({ userId }, 'avatar thumbnail made');
  },
});

/** After writing a thumbnail for `version`: makes sure an upload or delete meanwhile is not undone. */
async function settle(services: Services, userId: number, version: string): Promise<void> {
  const keys = avatarKeys(userId);
  const currentVersion = async () => {
    const original = await services.storage.get(keys.original);
    return original && avatarVersion(original.body);
  };
  let current = await currentVersion();
  if (current === version) return;
  if (current === undefined) {
    await services.storage.delete(keys.thumb);
    // An upload between the look and the delete would lose its thumbnail: look once more.
    current = await currentVersion();
    if (current === undefined) return;
  }
  await dispatchAvatarRepair(services, { userId, version: current });
}
