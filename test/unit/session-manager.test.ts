import assert from 'node:assert/strict';
import { it } from 'node:test';
import { generateAppKey, decodeAppKey } from '../../src/config/app-key.ts';
import { SessionManager } from '../../src/http/session.ts';
import { MemorySessionStore } from '../../src/session/memory.ts';
import { Encrypter } from '../../src/support/encrypter.ts';

it('an unchanged sealed session is decrypted once; a changed one again', async () => {
  const encrypter = new Encrypter(decodeAppKey(generateAppKey()), 'session');
  let decrypted = 0;
  const decrypt = encrypter.decrypt.bind(encrypter);
  encrypter.decrypt = (sealed: string, context: string) => (decrypted++, decrypt(sealed, context));
  const store = new MemorySessionStore();
  const sessions = new SessionManager(store, encrypter, 3600);
  const session = sessions.create();
  session.signIn(7);
  await sessions.commit(session);
  for (let i = 0; i < 3; i++) assert.equal((await sessions.load(session.id))?.userId, 7);
  assert.equal(decrypted, 1);
  const loaded = (await sessions.load(session.id))!;
  loaded.set('flash', 'saved');
  await sessions.commit(loaded);
  assert.equal((await sessions.load(session.id))?.get('flash'), 'saved');
  assert.equal(decrypted, 2);
});
