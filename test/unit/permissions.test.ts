import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRoleRef, parseRoleRef } from '../../src/auth/permissions.ts';

describe('role references', () => {
  it('parses app:role for the three roles, trimming spaces', () => {
    assert.deepEqual(parseRoleRef('flow:editor'), { app: 'flow', role: 'editor' });
    assert.deepEqual(parseRoleRef('accounts:admin'), { app: 'accounts', role: 'admin' });
    assert.deepEqual(parseRoleRef('  links:viewer \n'), { app: 'links', role: 'viewer' });
    assert.deepEqual(parseRoleRef('my-app2:viewer'), { app: 'my-app2', role: 'viewer' });
  });

  it('refuses anything else', () => {
    for (const text of ['', 'flow', 'flow:', ':editor', 'flow:owner', 'Flow:editor', 'flow:Editor', 'flow:editor:x', 'flow editor', '2flow:admin', 'flow :admin', 'flow.tasks:admin', '-flow:admin']) {
      assert.equal(parseRoleRef(text), undefined, JSON.stringify(text));
    }
  });

  it('formats back to what it parses', () => {
    assert.equal(formatRoleRef({ app: 'flow', role: 'admin' }), 'flow:admin');
    assert.deepEqual(parseRoleRef(formatRoleRef({ app: 'links', role: 'editor' })), { app: 'links', role: 'editor' });
  });
});
