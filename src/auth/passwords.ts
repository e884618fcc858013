// The native argon2 binding loads at the first hash or check (sign-in, sign-up): a node's boot and
// its other requests go without it (issue 19). Known and unknown users wait for it alike.
let argon2: Promise<typeof import('@node-rs/argon2')> | undefined;
const loadArgon2 = () => (argon2 ??= import('@node-rs/argon2'));

// OWASP's argon2id baseline (19 MiB, 2 passes): about 20 ms here, cheap enough for sign-in bursts.
// `algorithm: 2` is Algorithm.Argon2id (a const enum the package's types cannot export under isolatedModules).
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export async function hashPassword(password: string): Promise<string> {
  return (await loadArgon2()).hash(password, OPTIONS);
}

let dummy: Promise<string> | undefined;

/** Verifies; with no stored hash (unknown user) it still spends the same time, so timing reveals nothing. */
export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
  const { verify } = await loadArgon2();
  if (stored === undefined) {
    dummy ??= hashPassword('marg-dummy-password');
    await verify(await dummy, password);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-rules.ts';
