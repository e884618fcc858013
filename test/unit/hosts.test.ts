import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appFromHost, hostName, safeRedirectTarget } from '../../src/http/hosts.ts';

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
    ];
    for (const host of refused) assert.equal(appFromHost(host, DOMAIN, APPS), undefined, JSON.stringify(host));
  });

  it('strips the port, including from IPv6 literals', () => {
    assert.equal(hostName('flow.marg.localhost:8080'), 'flow.marg.localhost');
    assert.equal(hostName('flow.marg.localhost'), 'flow.marg.localhost');
    assert.equal(hostName('[::1]:8080'), '[::1]');
    assert.equal(hostName('[2001:db8::1]'), '[2001:db8::1]');
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
