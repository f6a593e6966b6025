// The web client's Markdown subset (plugins/gateway/web/markdown.js), parsed without a browser: what it
// formats, and that hostile input yields only text and checked links. run-markdown-test.sh copies the
// client's modules next to this file (web/) and runs it with `node --test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMarkdown, safeHref } from './web/markdown.js';

// Every node of the tree, with its depth of nesting.
function* walk(nodes, depth = 0) {
  for (const node of nodes) {
    yield { node, depth };
    for (const key of ['children']) if (node[key]) yield* walk(node[key], depth + 1);
    if (node.items) for (const item of node.items) yield* walk(item, depth + 1);
  }
}
const all = (text) => [...walk(parseMarkdown(text))];
const ofType = (text, type) => all(text).map((e) => e.node).filter((n) => n.type === type);
const links = (text) => ofType(text, 'link').map((n) => n.href);
const textOf = (nodes) => nodes.map((n) => n.text ?? textOf(n.children || [])).join('');
const paragraph = (text) => {
  const blocks = parseMarkdown(text);
  assert.equal(blocks.length, 1, JSON.stringify(blocks));
  assert.equal(blocks[0].type, 'paragraph');
  return blocks[0].children;
};

test('bold, italic and inline code become their own nodes', () => {
  const nodes = paragraph('a **bold** and *italic* and _also_ and `x < y`');
  assert.deepEqual(nodes.map((n) => n.type), ['text', 'strong', 'text', 'em', 'text', 'em', 'text', 'code']);
  assert.equal(textOf([nodes[1]]), 'bold');
  assert.equal(nodes[7].text, 'x < y');
});

test('underscores inside words and lone markers stay text', () => {
  assert.deepEqual(paragraph('snake_case_name and 2 * 3 * 4 and **'), [
    { type: 'text', text: 'snake_case_name and 2 * 3 * 4 and **' },
  ]);
});

test('fenced code blocks, quotes and lists are blocks; code is never formatted', () => {
  const blocks = parseMarkdown('```\n**not bold** :tada:\n```\n> quoted *text*\n- one\n- two\n\n3. three\n4. four');
  assert.deepEqual(blocks.map((b) => b.type), ['code_block', 'quote', 'list', 'list']);
  assert.equal(blocks[0].text, '**not bold** :tada:');
  assert.equal(blocks[1].children[0].children[1].type, 'em');
  assert.equal(blocks[2].ordered, false);
  assert.equal(blocks[2].items.length, 2);
  assert.equal(blocks[3].ordered, true);
  assert.equal(blocks[3].start, 3);
});

test('emoji shortcodes from the table are replaced, unknown ones kept', () => {
  assert.equal(textOf(paragraph('ship it :rocket: :+1: :not_an_emoji: `:tada:`')), 'ship it 🚀 👍 :not_an_emoji: :tada:');
});

test('http, https and mailto links are kept, normalised, without trailing punctuation', () => {
  assert.deepEqual(links('see https://example.com/a_(b). or [the docs](http://lan.local/docs?q=1) or mailto:me@x.org'),
    ['https://example.com/a_(b)', 'http://lan.local/docs?q=1', 'mailto:me@x.org']);
  assert.equal(textOf(paragraph('(https://example.com/x)')), '(https://example.com/x)');
  assert.deepEqual(links('(https://example.com/x)'), ['https://example.com/x']);
});

test('script tags and HTML are plain text', () => {
  const hostile = '<script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a>';
  assert.deepEqual(paragraph(hostile), [{ type: 'text', text: hostile }]);
});

test('javascript:, data:, vbscript: and relative addresses never become links', () => {
  for (const text of [
    '[x](javascript:alert(1))', '[x](JaVaScRiPt:alert(1))', 'javascript:alert(1)', '[x](data:text/html,<b>)',
    '[x](vbscript:msgbox)', '[x](/relative)', '[x](//evil.example/)', '[x]( javascript:alert(1))',
    '[x](java\nscript:alert(1))', 'http://', '[x](https://)', 'mailto:',
  ]) {
    assert.deepEqual(links(text), [], text);
  }
  for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'ftp://x', 'https:/x']) assert.equal(safeHref(url), null, url);
});

test('a link address cannot carry attributes or markup out of the href', () => {
  const hrefs = links('[x](https://ok.example/"onmouseover="alert(1)) https://ok.example/<b>"\'x ' +
    '[y](http://a.example/\'><script>) https://b.example/"style="x');
  assert.ok(hrefs.length >= 2, JSON.stringify(hrefs));
  for (const href of hrefs) {
    assert.match(href, /^https?:\/\/[a-z.]+\//);
    assert.doesNotMatch(href, /["'<>\s]/, href);
  }
});

test('nesting bombs are cut off: quotes 3 deep and inline markers 4 deep at most', () => {
  const quotes = all(`${'>'.repeat(5000)} deep`);
  assert.ok(Math.max(...quotes.map((e) => e.depth)) <= 4, 'quote depth');
  assert.equal(quotes.filter((e) => e.node.type === 'quote').length, 3);
  const inline = all(`${'**_*'.repeat(2000)}x${'*_**'.repeat(2000)}`);
  assert.ok(Math.max(...inline.map((e) => e.depth)) <= 5, 'inline depth');
});

test('thousands of unclosed markers are text, every character kept', () => {
  for (const text of ['*a '.repeat(20000), '['.repeat(50000), 'a' + '`'.repeat(30000) + 'x', '_x '.repeat(20000),
    '[a]('.repeat(10000), 'https://e.example/'.repeat(3000), ':nope'.repeat(10000), ')'.repeat(20000)]) {
    const shown = all(text).map((e) => e.node.text ?? '').join('');
    assert.equal(shown, text, text.slice(0, 12));
  }
});
