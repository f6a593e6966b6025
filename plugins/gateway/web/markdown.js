// The Markdown subset messages are written in, parsed into a plain tree that rich_text.js turns into DOM
// nodes (text nodes and a few fixed elements: content never becomes markup, attributes or script).
//
//   blocks:  paragraphs, ``` fenced code blocks, > quotes (3 deep at most), - * + and 1. lists (one level)
//   inline:  **bold** __bold__, *italic* _italic_, `code`, [text](url), bare http(s):// and mailto: links,
//            :shortcode: emoji (emoji.js)
//
// Links keep only http:, https: and mailto: addresses (anything else stays text). Nesting deeper than
// MAX_INLINE_DEPTH shows the markers as text, and every search for a closing marker remembers where it
// failed, so hostile input (nesting bombs, thousands of unclosed markers) parses in linear time.
//
// Tree: blocks are {type: 'paragraph', children} | {type: 'code_block', text} | {type: 'quote', children}
// | {type: 'list', ordered, start, items: [inlines]}; inlines are {type: 'text', text} | {type: 'code', text}
// | {type: 'strong' | 'em', children} | {type: 'link', href, children}.
import { EMOJI } from './emoji.js';

const MAX_QUOTE_DEPTH = 3;
const MAX_INLINE_DEPTH = 4;
const MAX_URL_LENGTH = 2048;

export function parseMarkdown(text) {
  return parseBlocks(String(text).replace(/\r\n?/g, '\n').split('\n'), 0);
}

// The address a link may point to, normalised, or null: http(s) with a host, or mailto.
export function safeHref(url) {
  if (url.length > MAX_URL_LENGTH || !/^(https?:\/\/|mailto:)/i.test(url)) return null;
  try {
    const parsed = new URL(url);
    const web = (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname;
    if (!web && !(parsed.protocol === 'mailto:' && parsed.pathname)) return null;
    return parsed.href.replace(/'/g, '%27');  // the one character URL leaves that could end a quoted attribute
  } catch {
    return null;
  }
}

const FENCE = /^ {0,3}```/;
const QUOTE = /^ {0,3}> ?/;
const LIST_ITEM = /^ {0,3}(?:([-*+])|(\d{1,9})[.)]) +(.*)$/;

function parseBlocks(lines, depth) {
  const blocks = [];
  let paragraph = [];
  const endParagraph = () => {
    if (paragraph.length) blocks.push({ type: 'paragraph', children: parseInline(paragraph.join('\n'), 0) });
    paragraph = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (FENCE.test(line)) {
      endParagraph();
      const code = [];
      for (i++; i < lines.length && !/^ {0,3}```\s*$/.test(lines[i]); i++) code.push(lines[i]);
      i++;  // the closing fence; an unclosed block runs to the end of the message
      blocks.push({ type: 'code_block', text: code.join('\n') });
    } else if (depth < MAX_QUOTE_DEPTH && QUOTE.test(line)) {
      endParagraph();
      const quoted = [];
      for (; i < lines.length && QUOTE.test(lines[i]); i++) quoted.push(lines[i].replace(QUOTE, ''));
      blocks.push({ type: 'quote', children: parseBlocks(quoted, depth + 1) });
    } else if (LIST_ITEM.test(line)) {
      endParagraph();
      const first = LIST_ITEM.exec(line);
      const ordered = first[2] !== undefined;
      const items = [];
      for (let m; i < lines.length && (m = LIST_ITEM.exec(lines[i])) && (m[2] !== undefined) === ordered; i++) {
        items.push(parseInline(m[3], 0));
      }
      blocks.push({ type: 'list', ordered, start: ordered ? Number(first[2]) : 1, items });
    } else if (line.trim() === '') {
      endParagraph();
      i++;
    } else {
      paragraph.push(line);
      i++;
    }
  }
  endParagraph();
  return blocks;
}

// Finds closing markers: search(needle, from, isCloser) is the first index >= from where `needle` occurs
// and isCloser(index) holds. isCloser must depend on the index only (not on `from`), so one failed search
// answers every later one for the same needle from further on: each marker is scanned for once.
function closerSearch(src) {
  const scans = new Map();  // needle -> {from, at}: the first occurrence at or after `from` (-1: none)
  const failed = new Map(); // needle -> the smallest `from` that found no closer
  const next = (needle, from) => {
    let scan = scans.get(needle);
    if (!scan || from < scan.from || (scan.at !== -1 && scan.at < from)) {
      scan = { from, at: src.indexOf(needle, from) };
      scans.set(needle, scan);
    }
    return scan.at;
  };
  return (needle, from, isCloser) => {
    if (failed.get(needle) <= from) return -1;
    for (let j = next(needle, from); j !== -1; j = next(needle, j + 1)) if (isCloser(j)) return j;
    failed.set(needle, Math.min(from, failed.get(needle) ?? Infinity));
    return -1;
  };
}

const isSpace = (c) => c === undefined || /\s/.test(c);
const isWordChar = (c) => c !== undefined && /[\p{L}\p{N}]/u.test(c);
const AUTOLINK = /(?:https?:\/\/|mailto:)[^\s<>"]{1,2048}/iy;
const SHORTCODE = /:([a-z0-9_+-]{1,32}):/y;

function parseInline(src, depth, links = true) {
  const out = [];
  let text = '';
  const push = (node) => {
    if (text) out.push({ type: 'text', text });
    text = '';
    out.push(node);
  };
  const addText = (more) => { text += more; };
  const search = closerSearch(src);

  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const atWordStart = i === 0 || !isWordChar(src[i - 1]);
    let consumed = 0;
    if (c === '`') consumed = codeSpan(src, i, search, push);
    else if ((c === '*' || c === '_') && depth < MAX_INLINE_DEPTH) consumed = emphasis(src, i, depth, links, search, push);
    else if (c === '[' && links && depth < MAX_INLINE_DEPTH) consumed = bracketLink(src, i, depth, search, push);
    else if ((c === 'h' || c === 'H' || c === 'm' || c === 'M') && links && atWordStart) consumed = autolink(src, i, push, addText);
    else if (c === ':') consumed = shortcode(src, i, addText);
    if (consumed) {
      i += consumed;
    } else {
      let end = i + 1;
      if (c === '`' || c === '*' || c === '_') while (src[end] === c) end++;
      text += src.slice(i, end);  // a marker that opens nothing is text, the whole run of it
      i = end;
    }
  }
  if (text) out.push({ type: 'text', text });
  return out;
}

// `code` with a closing run of as many backticks; returns the characters consumed (0: not a code span).
function codeSpan(src, i, search, push) {
  const run = /^`+/.exec(src.slice(i, i + 64))[0];
  // A run of another length closes nothing.
  const j = search(run, i + run.length, (at) => src[at + run.length] !== '`' && src[at - 1] !== '`');
  if (j === -1) return 0;
  let code = src.slice(i + run.length, j);
  if (code.length > 2 && code.startsWith(' ') && code.endsWith(' ')) code = code.slice(1, -1);
  push({ type: 'code', text: code });
  return j + run.length - i;
}

// **strong** / *em* (and the _ forms, which do not open or close inside a word, as in snake_case).
function emphasis(src, i, depth, links, search, push) {
  const c = src[i];
  const marker = src[i + 1] === c ? c + c : c;
  const after = src[i + marker.length];
  if (isSpace(after) || after === c || (c === '_' && isWordChar(src[i - 1]))) return 0;
  const j = search(marker, i + marker.length + 1, (at) => !isSpace(src[at - 1]) && src[at - 1] !== c &&
    src[at + marker.length] !== c && !(c === '_' && isWordChar(src[at + marker.length])));
  if (j === -1) return 0;
  const children = parseInline(src.slice(i + marker.length, j), depth + 1, links);
  push({ type: marker.length === 2 ? 'strong' : 'em', children });
  return j + marker.length - i;
}

// [label](address): a link when the address is allowed; the label holds no links of its own.
function bracketLink(src, i, depth, search, push) {
  const end = search(']', i + 1, () => true);
  if (end === -1 || src[end + 1] !== '(') return 0;
  const closeParen = search(')', end + 2, () => true);
  if (closeParen === -1 || closeParen - end > MAX_URL_LENGTH) return 0;
  const url = src.slice(end + 2, closeParen);
  const href = /\s/.test(url) ? null : safeHref(url);
  if (!href || end === i + 1) return 0;
  push({ type: 'link', href, children: parseInline(src.slice(i + 1, end), depth + 1, false) });
  return closeParen + 1 - i;
}

// A bare address, without the punctuation that ends the sentence around it (a closing parenthesis stays
// when the address opened one). One that is no allowed link is text as a whole, not searched again.
function autolink(src, i, push, addText) {
  AUTOLINK.lastIndex = i;
  const m = AUTOLINK.exec(src);
  if (!m) return 0;
  let end = m[0].length;
  let open = 0;
  let closed = 0;
  for (const ch of m[0]) {
    if (ch === '(') open++;
    else if (ch === ')') closed++;
  }
  while (end > 0 && /[.,;:!?'*_)\]]/.test(m[0][end - 1])) {
    if (m[0][end - 1] === ')') {
      if (open >= closed) break;
      closed--;
    }
    end--;
  }
  const url = m[0].slice(0, end);
  const href = safeHref(url);
  if (href) push({ type: 'link', href, children: [{ type: 'text', text: url }] });
  else addText(url);
  return url.length;
}

function shortcode(src, i, add) {
  SHORTCODE.lastIndex = i;
  const m = SHORTCODE.exec(src);
  if (!m || !EMOJI.has(m[1])) return 0;
  add(EMOJI.get(m[1]));
  return m[0].length;
}
