// Message bodies as DOM nodes: the tree markdown.js parses, built from text nodes and a fixed set of
// elements. Content only ever becomes text (textContent) or a checked link address (setAttribute), never
// markup, so nothing in a message can run or style anything (the page's CSP forbids it as well).
import { h } from './dom.js';
import { parseMarkdown } from './markdown.js';

const INLINE_TAGS = { strong: 'strong', em: 'em' };

function inlineNodes(nodes) {
  return nodes.map((node) => {
    if (node.type === 'text') return document.createTextNode(node.text);
    if (node.type === 'code') return h('code', { text: node.text });
    if (node.type === 'link') {
      return h('a', { href: node.href, rel: 'noopener noreferrer', target: '_blank' }, ...inlineNodes(node.children));
    }
    return h(INLINE_TAGS[node.type], {}, ...inlineNodes(node.children));
  });
}

function blockNode(block) {
  switch (block.type) {
    case 'code_block':
      return h('pre', {}, h('code', { text: block.text }));
    case 'quote':
      return h('blockquote', {}, ...block.children.map(blockNode));
    case 'list':
      return h(block.ordered ? 'ol' : 'ul', { start: block.ordered && block.start !== 1 ? block.start : null },
        ...block.items.map((item) => h('li', {}, ...inlineNodes(item))));
    default:
      return h('p', {}, ...inlineNodes(block.children));
  }
}

// The nodes to put in a message's body element.
export function richText(body) {
  return parseMarkdown(body).map(blockNode);
}
