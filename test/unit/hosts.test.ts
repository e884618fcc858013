import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { allowedHost, appFromHost, appUrl, safeRedirectTarget } from '../../src/http/hosts.ts';

const DOMAIN = 'marg.localhost';
const APPS: ReadonlySet<string> = new Set(['accounts', 'flow', 'links']);

describe('appFromHost', () => {
  it('maps an app host, with or without a port, in any case', () => {
    assert.equal(appFromHost('flow.marg.localhost', DOMAIN, APPS), 'flow');
    assert.equal(appFromHost('flow.marg.localhost:8080', DOMAIN, APPS), 'flow');
    assert.equal(appFromHost('accounts.marg.localhost:443', DOMAIN, APPS), 'accounts');
    assert.equal(appFromHost('LINKS.Marg.LocalHost:8080', DOMAIN, APPS), 'links');
  });

  it('refuses everything that is not <known app>.<domain>', () => {
    const refused = [
      undefined,
      '',
      'marg.localhost',
      'marg.localhost:8080',
      '.marg.localhost',
      'wiki.marg.localhost',
      'a.flow.marg.localhost',
      'flowmarg.localhost',
      'flow.marg.localhost.evil.com',
      'flow.marg.localhost.evil.com:8080',
      'flow.evil-marg.localhost',
      'flow.marg.localhost.',
      '127.0.0.1:8080',
      '[::1]:8080',
      '[::1]',
      '[flow.marg.localhost]:8080',
      // The probe's case and port-injection variants.
      'flow.marg.localhost:@evil.example',
      'flow.marg.localhost:80@evil.example',
      'flow.marg.localhost:@evil.example:80',
      'flow.marg.localhost:',
      'flow.marg.localhost:0',
      'flow.marg.localhost:65536',
      'flow.marg.localhost:8080:9090',
      'flow.marg.localhost:http',
      'flow.marg.localhost:8080/x',
      'flow.marg.localhost:8080 ',
      'evil.example',
      'flow.marg.localhost.evil.example',
      'FLOW.MARG.LOCALHOST.',
      'user@flow.marg.localhost',
    ];
    for (const host of refused) assert.equal(appFromHost(host, DOMAIN, APPS), undefined, JSON.stringify(host));
  });
});

describe('allowedHost', () => {
  const ALIASES: ReadonlySet<string> = new Set(['www.marg.test', '192.0.2.7']);
  const allowed = (host: string | undefined) => allowedHost(host, DOMAIN, APPS, ALIASES);

  it('allows an app host, the bare domain and an alias, in any case, with a port of 1-65535', () => {
    assert.deepEqual(allowed('flow.marg.localhost'), { app: 'flow', port: undefined });
    assert.deepEqual(allowed('FLOW.Marg.localhost:8080'), { app: 'flow', port: 8080 });
    assert.deepEqual(allowed('links.marg.localhost:65535'), { app: 'links', port: 65535 });
    assert.deepEqual(allowed('marg.localhost:8080'), { app: undefined, port: 8080 });
    assert.deepEqual(allowed('WWW.marg.test'), { app: undefined, port: undefined });
    assert.deepEqual(allowed('192.0.2.7:80'), { app: undefined, port: 80 });
  });

  it('refuses the probe, port injection, other domains, look-alikes, a trailing dot and a missing Host', () => {
    for (const host of [
      undefined,
      '',
      'flow.marg.localhost:@evil.example',
      'flow.marg.localhost:80@evil.example',
      'evil.example',
      'evil.example:8080',
      'flow.marg.localhost.evil.example',
      'flow.marg.localhost.',
      'marg.localhost.',
      'flow.marg.localhost:99999',
      'flow.marg.localhost:-1',
      'nope.marg.localhost',
      '192.0.2.8',
      'www.marg.test.evil.example',
      '[::1]:8080',
    ]) {
      assert.equal(allowed(host), undefined, JSON.stringify(host));
    }
  });
});

describe('appUrl', () => {
  const request = (host: string | undefined, protocol = 'http') => ({ headers: { host }, protocol }) as unknown as FastifyRequest;

  it('builds the URL from MARG_DOMAIN, keeping only a valid port and an http(s) scheme', () => {
    assert.equal(appUrl(request('FLOW.MARG.LOCALHOST:8080'), DOMAIN, 'links', '/x'), 'http://links.marg.localhost:8080/x');
    assert.equal(appUrl(request('flow.marg.localhost:8443', 'https'), DOMAIN, 'accounts', '/signin'), 'https://accounts.marg.localhost:8443/signin');
    assert.equal(appUrl(request('flow.marg.localhost:80'), DOMAIN, 'flow'), 'http://flow.marg.localhost/');
    assert.equal(appUrl(request('flow.marg.localhost:443', 'https'), DOMAIN, 'flow'), 'https://flow.marg.localhost/');
    assert.equal(appUrl(request('flow.marg.localhost', 'javascript'), DOMAIN, 'flow'), 'http://flow.marg.localhost/');
  });

  it('never copies an injected host or port', () => {
    for (const host of ['flow.marg.localhost:@evil.example', 'flow.marg.localhost:80@evil.example', 'evil.example', 'flow.marg.localhost.evil.example', undefined]) {
      const url = appUrl(request(host), DOMAIN, 'accounts', '/signin');
      assert.doesNotMatch(url, /evil|@/, String(host));
      assert.equal(new URL(url).hostname, 'accounts.marg.localhost');
    }
  });
});

describe('safeRedirectTarget', () => {
  const safe = (target: string | undefined) => safeRedirectTarget(target, DOMAIN, APPS);

  it('accepts a path on this host', () => {
    for (const path of ['/', '/x', '/flow/tasks?page=2#top', '/a//b']) assert.equal(safe(path), path);
  });

  it('accepts an absolute URL on an app host, normalised', () => {
    assert.equal(safe('http://flow.marg.localhost:8080/tasks'), 'http://flow.marg.localhost:8080/tasks');
    assert.equal(safe('https://links.marg.localhost/'), 'https://links.marg.localhost/');
    assert.equal(safe('HTTP://FLOW.MARG.LOCALHOST:8080/x?y=1'), 'http://flow.marg.localhost:8080/x?y=1');
  });

  it('refuses other sites, protocol-relative and script URLs, and credentials', () => {
    const refused = [
      undefined,
      '',
      '//evil.com',
      '//evil.com/flow.marg.localhost',
      '/\\evil.com',
      '\\\\evil.com',
      'https://evil.com',
      'https://evil.com/?next=http://flow.marg.localhost/',
      'http://flow.marg.localhost.evil.com/',
      'http://wiki.marg.localhost/',
      'http://marg.localhost/',
      'javascript:alert(1)',
      'JavaScript:alert(1)//http://flow.marg.localhost/',
      'data:text/html,<script>alert(1)</script>',
      'ftp://flow.marg.localhost/',
      'http://user@flow.marg.localhost/',
      'http://user:pass@flow.marg.localhost/',
      'http://evil.com@flow.marg.localhost/',
      'flow.marg.localhost/tasks',
    ];
    for (const target of refused) assert.equal(safe(target), undefined, JSON.stringify(target));
  });

  // Browsers drop tab/CR/LF from URLs, so a Location of `/\t/evil.com` would go to //evil.com.
  it('refuses paths that browsers read as another host once they drop tab/CR/LF', () => {
    for (const target of ['/\t/evil.com', '/\n/evil.com', '/\r/evil.com', '\t//evil.com']) assert.equal(safe(target), undefined, JSON.stringify(target));
  });

  it('refuses a password-only userinfo as it refuses a user name', () => {
    assert.equal(safe('http://:secret@flow.marg.localhost/'), undefined);
  });
});
