/**
 * Request limits count in clock-aligned one-minute windows: a test that counts requests must
 * not straddle a window's end, or the count starts over halfway. Waits (at most `needMs`)
 * until the current window has at least `needMs` left.
 */
export async function awayFromWindowEnd(needMs = 10_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
