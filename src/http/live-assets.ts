import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { MargFastify } from '../platform/app-module.ts';

/** pusher-js's browser build, served from node_modules by Marg itself (no CDN: the CSP allows only 'self'). */
function pusherBrowserBuild(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve('pusher-js/dist/web/pusher.min.js'), 'utf8');
}

/**
 * The live-page script: subscribes to the channel named by each `[data-live-channel]` element
 * and, on any event there, fetches the page again and swaps in the element with the same id
 * (the server renders rows, actions and permissions as for a full load). Written here: a few
 * lines of glue between pusher-js and the server-rendered pages.
 */
const LIVE_SCRIPT = `(() => {
  const meta = document.querySelector('meta[name="marg-realtime"]');
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const live = [...document.querySelectorAll('[data-live-channel]')];
  if (!meta || !window.Pusher || live.length === 0) return;
  const cfg = JSON.parse(meta.getAttribute('content'));
  const tls = cfg.scheme === 'https';
  const port = cfg.port || Number(location.port) || (tls ? 443 : 80);
  const pusher = new window.Pusher(cfg.key, {
    cluster: '', wsHost: cfg.host, wsPort: port, wssPort: port, forceTLS: tls, enabledTransports: ['ws', 'wss'], disableStats: true,
    channelAuthorization: { endpoint: '/broadcasting/auth', transport: 'ajax', headers: { 'X-CSRF-Token': csrf ? csrf.getAttribute('content') : '' } },
  });
  let pending;
  const refresh = () => {
    clearTimeout(pending);
    // Several events at once (a batch of clicks) cost one fetch.
    pending = setTimeout(async () => {
      const response = await fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
      for (const element of live) {
        const replacement = element.id && fresh.getElementById(element.id);
        if (replacement) element.replaceChildren(...replacement.childNodes);
      }
      document.documentElement.dataset.liveUpdates = String(Number(document.documentElement.dataset.liveUpdates || 0) + 1);
    }, 50);
  };
  for (const element of live) {
    const channel = pusher.subscribe(element.dataset.liveChannel);
    channel.bind('pusher:subscription_succeeded', () => (document.documentElement.dataset.live = 'subscribed'));
    channel.bind_global((event) => { if (!event.startsWith('pusher:')) refresh(); });
  }
})();
`;

export async function liveAssetRoutes(app: MargFastify): Promise<void> {
  let pusher: string | undefined;
  app.get('/assets/pusher.min.js', async (_request, reply) => {
    pusher ??= pusherBrowserBuild();
    return reply.header('cache-control', 'public, max-age=3600').type('text/javascript; charset=utf-8').send(pusher);
  });
  app.get('/assets/live.js', async (_request, reply) => reply.header('cache-control', 'public, max-age=3600').type('text/javascript; charset=utf-8').send(LIVE_SCRIPT));
}
