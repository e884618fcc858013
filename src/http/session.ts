import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { SessionStore } from '../session/contract.ts';
import type { Encrypter } from '../support/encrypter.ts';
import type { JsonValue } from '../support/json.ts';

const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
// An unchanged session is re-saved at most this often, to slide its expiry without a write per request.
const TOUCH_AFTER_MS = 60_000;

type State = 'clean' | 'dirty' | 'new' | 'destroyed';

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

  /** Signs in: a new id and CSRF token (no session fixation), the user recorded. */
  signIn(userId: number): void {
    this.regenerate();
    this.data = { csrf: newToken(), userId };
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
    const plain = this.encrypter ? this.encrypter.decrypt(stored, id) : stored;
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

  async #write(session: Session): Promise<void> {
    const plain = session.serialise();
    await this.store.write(session.id, this.encrypter ? this.encrypter.encrypt(plain, session.id) : plain, this.lifetimeSeconds);
  }
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}
