import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { html, SafeHtml } from '../../src/http/html.ts';

describe('html template', () => {
  it('escapes every interpolated string', () => {
    const name = `<script>alert("x")</script> & 'quotes'`;
    assert.equal(
      html`<p title="${name}">${name}</p>`.toString(),
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;">' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;</p>',
    );
  });

  it('passes nested fragments through unescaped, but escapes inside them', () => {
    const item = (text: string) => html`<li>${text}</li>`;
    const page = html`<ul>${item('a<b')}</ul>`;
    assert.ok(page instanceof SafeHtml);
    assert.equal(page.value, '<ul><li>a&lt;b</li></ul>');
    assert.equal(html`<div>${page}</div>`.value, '<div><ul><li>a&lt;b</li></ul></div>');
  });

  it('joins arrays (nested too), escaping plain strings in them', () => {
    const rows = ['<one>', 'two'].map((t) => html`<td>${t}</td>`);
    assert.equal(html`<tr>${rows}</tr>`.value, '<tr><td>&lt;one&gt;</td><td>two</td></tr>');
    assert.equal(html`${['<raw>', [html`<b>ok</b>`, 'a&b']]}`.value, '&lt;raw&gt;<b>ok</b>a&amp;b');
    assert.equal(html`<ul>${[]}</ul>`.value, '<ul></ul>');
  });

  it('renders null, undefined and false as nothing, but numbers, 0 and true as text', () => {
    const none: string | undefined = undefined;
    assert.equal(html`[${null}][${none}][${false}]`.value, '[][][]');
    assert.equal(html`[${0}][${42}][${-1.5}][${true}]`.value, '[0][42][-1.5][true]');
    const admin = false;
    assert.equal(html`<p>${admin && html`<b>admin</b>`}</p>`.value, '<p></p>');
  });

  it('does not treat an object with a value field as safe markup', () => {
    const forged = { value: '<script>' } as unknown as string;
    assert.equal(html`${forged}`.value, '[object Object]');
    assert.equal(String(html`<i>${'x'}</i>`), '<i>x</i>');
  });
});
