import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SessionStore } from '../session/contract.ts';
import { LocalCache } from '../invalidation/local-cache.ts';
import type { Encrypter } from '../support/encrypter.ts';
import type { JsonValue } from '../support/json.ts';

const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
// An unchanged session is re-saved at most this often, to slide its expiry without a write per request.
const TOUCH_AFTER_MS = 60_000;
// Decrypted payloads, keyed by id and checked against the stored ciphertext: no invalidation needed.
const OPENED_TTL_MS = 60_000;
const OPENED_MAX = 20_000;

type State = 'clean' | 'dirty' | 'new' | 'destroyed';

/** The browser a session was signed in from, kept so that its owner can tell their sessions apart. */
export interface SessionClient {
  readonly ip: string;
  readonly userAgent: string | undefined;
}

/** One signed-in session as its owner sees it (`GET /api/sessions`). */
export interface SessionInfo {
  /** A hash of the session id: it names the session without being its cookie. */
  readonly id: string;
  readonly createdAt: string | null;
  readonly lastSeenAt: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/** One visitor's server-side session, shared by every app host through the cookie domain. */
export class Session {
  #state: State;
  #previousId: string | undefined;

  constructor(
    private currentId: string,
    private data: Record<string, JsonValue>,
    isNew: boolean,
    private touchedAt: number,
  ) {
    this.#state = isNew ? 'new' : 'clean';
  }

  get id(): string {
    return this.currentId;
  }
  get userId(): number | undefined {
    const id = this.data.userId;
    return typeof id === 'number' ? id : undefined;
  }
  get csrfToken(): string {
    return String(this.data.csrf);
  }
  get state(): State {
    return this.#state;
  }
  /** The id this session had before `regenerate()`, whose record must go. */
  get previousId(): string | undefined {
    return this.#previousId;
  }

  get(key: string): JsonValue | undefined {
    return this.data[key];
  }

  set(key: string, value: JsonValue | undefined): void {
    if (value === undefined) delete this.data[key];
    else this.data[key] = value;
    if (this.#state === 'clean') this.#state = 'dirty';
  }

  verifyCsrf(token: string | undefined): boolean {
    if (!token) return false;
    const a = Buffer.from(token);
    const b = Buffer.from(this.csrfToken);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Signs in: a new id and CSRF token (no session fixation), the user and their client recorded. */
  signIn(userId: number, client?: SessionClient): void {
    this.regenerate();
    this.data = { csrf: newToken(), userId, signedInAt: new Date().toISOString() };
    if (client) this.data.client = { ip: client.ip, userAgent: client.userAgent?.slice(0, 512) ?? null };
  }

  /** What the owner's session list shows. */
  info(): SessionInfo {
    const client = this.data.client;
    const fields = typeof client === 'object' && client !== null && !Array.isArray(client) ? client : {};
    const signedInAt = this.data.signedInAt;
    return {
      id: publicSessionId(this.currentId),
      createdAt: typeof signedInAt === 'string' ? signedInAt : null,
      lastSeenAt: new Date(this.touchedAt).toISOString(),
      ip: typeof fields.ip === 'string' ? fields.ip : null,
      userAgent: typeof fields.userAgent === 'string' ? fields.userAgent : null,
    };
  }

  regenerate(): void {
    if (this.#state !== 'new') this.#previousId ??= this.currentId;
    this.currentId = newToken();
    this.#state = 'new';
  }

  destroy(): void {
    this.#state = 'destroyed';
  }

  /** What gets stored. */
  serialise(): string {
    this.touchedAt = Date.now();
    return JSON.stringify({ d: this.data, t: this.touchedAt });
  }

  needsTouch(): boolean {
    return Date.now() - this.touchedAt > TOUCH_AFTER_MS;
  }
}

/** Loads and saves sessions through the store, sealing payloads with APP_KEY when SESSION_ENCRYPT is on. */
export class SessionManager {
  /** The plaintext of each recently read ciphertext: an unchanged session is not decrypted again (AES-GCM was ~15% of a request). */
  readonly #opened = new LocalCache<string, { readonly sealed: string; readonly plain: string }>(OPENED_TTL_MS, OPENED_MAX);

  constructor(
    private readonly store: SessionStore,
    private readonly encrypter: Encrypter | undefined,
    readonly lifetimeSeconds: number,
  ) {}

  create(): Session {
    return new Session(newToken(), { csrf: newToken() }, true, Date.now());
  }

  async load(id: string): Promise<Session | undefined> {
    if (!ID_PATTERN.test(id)) return undefined;
    const stored = await this.store.read(id);
    if (stored === undefined) return undefined;
    const plain = this.encrypter ? this.#open(id, stored, this.encrypter) : stored;
    if (plain === undefined) return undefined;
    try {
      const parsed = JSON.parse(plain) as { d: Record<string, JsonValue>; t: number };
      return new Session(id, parsed.d, false, parsed.t);
    } catch {
      return undefined;
    }
  }

  /** Persists what changed; returns what the cookie should now do ('set' also slides its expiry). */
  async commit(session: Session): Promise<'set' | 'clear' | 'keep'> {
    if (session.previousId) await this.store.destroy(session.previousId);
    if (session.state === 'destroyed') {
      await this.store.destroy(session.id);
      return 'clear';
    }
    if (session.state === 'clean' && !session.needsTouch()) return 'keep';
    await this.#write(session);
    return 'set';
  }

  /** The user's live sessions. */
  async listOf(userId: number): Promise<Session[]> {
    const sessions = await Promise.all((await this.store.idsOf(userId)).map((id) => this.load(id)));
    return sessions.filter((s): s is Session => s !== undefined && s.userId === userId);
  }

  /**
   * Ends the user's sessions but `exceptId` (a password change, "sign out other devices", an
   * admin's revocation). The records go from the shared store, so every node answers the next
   * request with such a cookie as signed out. Returns how many ended.
   */
  endSessionsOf(userId: number, exceptId?: string): Promise<number> {
    return this.store.destroyOf(userId, exceptId);
  }

  /** Ends one session (not the request's own: that one is `session.destroy()`, so the cookie goes too). */
  end(session: Session): Promise<void> {
    return this.store.destroy(session.id);
  }

  #open(id: string, sealed: string, encrypter: Encrypter): string | undefined {
    const known = this.#opened.get(id);
    if (known && known.sealed === sealed) return known.plain;
    const plain = encrypter.decrypt(sealed, id);
    if (plain !== undefined) this.#opened.set(id, { sealed, plain }, this.#opened.generation);
    return plain;
  }

  async #write(session: Session): Promise<void> {
    const plain = session.serialise();
    await this.store.write(session.id, this.encrypter ? this.encrypter.encrypt(plain, session.id) : plain, this.lifetimeSeconds, session.userId);
  }
}

/** The name a session goes by in lists and URLs: a hash of its id, never the id (the cookie) itself. */
export function publicSessionId(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 22);
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}
