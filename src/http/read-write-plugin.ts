import fp from 'fastify-plugin';
import { readWriteContext } from '../database/read-write-context.ts';

const STICKY_KEY = 'db_sticky_until';

/**
 * Read-your-writes with read replicas (DB_READ_HOSTS): each request runs in its own
 * read/write context; once it writes, its later reads use the primary, and so do the
 * session's reads for DB_STICKY_SECONDS (Laravel's `sticky`). Registered before the session
 * plugin so that its onSend runs before the session is saved.
 */
export const readWritePlugin = fp<{ stickySeconds: number }>(async (app, { stickySeconds }) => {
  // The replica drivers may open on first use, after the first request started its context.
  readWriteContext.track();
  app.addHook('onRequest', (_request, _reply, done) => {
    // run(), not enterWith(): the whole rest of the request lifecycle happens inside done().
    readWriteContext.run({ wrote: false, stickyUntil: 0 }, done);
  });

  app.addHook('preValidation', async (request) => {
    const until = request.session?.get(STICKY_KEY);
    const state = readWriteContext.current();
    if (state && typeof until === 'number') state.stickyUntil = until;
  });

  app.addHook('onSend', async (request) => {
    const state = readWriteContext.current();
    if (state?.wrote && request.session && stickySeconds > 0) request.session.set(STICKY_KEY, Date.now() + stickySeconds * 1000);
  });
});
