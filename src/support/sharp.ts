import type sharpType from 'sharp';

let loaded: Promise<typeof sharpType> | undefined;

/** sharp (libvips) loads at the first image, not at boot: most requests and most processes never need it (issue 19). */
export function loadSharp(): Promise<typeof sharpType> {
  return (loaded ??= import('sharp').then((m) => m.default));
}
