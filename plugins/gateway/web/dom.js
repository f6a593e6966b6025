// Small DOM and timing helpers every module shares; nothing here knows the protocol.

export const $ = (id) => document.getElementById(id);

// Creates an element; attrs go through setAttribute except `text` (textContent) and `class`.
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

export const byteLength = (text) => new TextEncoder().encode(text).length;

// client_message_id must be unique per message; randomUUID exists in secure contexts (https).
export function newClientMessageId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function debounce(fn, ms) {
  let timer = null;
  const run = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(...args); }, ms);
  };
  run.flush = () => { if (timer !== null) { clearTimeout(timer); timer = null; fn(); } };
  return run;
}

// Batches repeated render requests of the same kind into one run after the current task.
const scheduled = new Set();
export function schedule(fn) {
  if (scheduled.has(fn)) return;
  scheduled.add(fn);
  queueMicrotask(() => { scheduled.delete(fn); fn(); });
}

export class ProtocolError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}
