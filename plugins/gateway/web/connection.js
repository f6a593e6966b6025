// Connection: one WebSocket, requests matched to answers by id, reconnects with backoff.
import { $, ProtocolError } from './dom.js';
import { state } from './state.js';
import { afterAuth, endSession } from './signin.js';
import { handleFrame } from './deliveries.js';
import { clearTyping } from './sending.js';

const REQUEST_TIMEOUT_MS = 15000;

export const conn = {
  ws: null,
  limits: {},
  nextId: 1,
  pending: new Map(),      // request id -> {resolve, reject, timer}
  wanted: false,           // true while signed in: a closed socket is then reopened
  attempt: 0,              // reconnect attempts since the last success (drives the backoff)
  retryTimer: null,
  renewTimer: null,
  held: false,             // test hook: do not reconnect until released
  bucket: { tokens: 0, last: 0 },
};

export function setConnState(stateName, text) {
  const node = $('connection-status');
  node.dataset.state = stateName;
  node.textContent = text || stateName;
}

// Opens a socket and resolves once the server's `hello` arrived.
export function openSocket() {
  clearTimeout(conn.retryTimer);
  conn.retryTimer = null;
  if (conn.ws) {
    const old = conn.ws;
    conn.ws = null;
    old.close();
  }
  setConnState('connecting', 'connecting…');
  const ws = new WebSocket(`wss://${location.host}/ws`);
  conn.ws = ws;
  return new Promise((resolve, reject) => {
    let greeted = false;
    ws.onmessage = (event) => {
      if (ws !== conn.ws) return;
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      if (!frame || typeof frame !== 'object') return;
      if (!greeted && frame.type === 'hello') {
        greeted = true;
        conn.limits = frame.limits || {};
        conn.bucket = { tokens: conn.limits.burst || 10, last: performance.now() };
        resolve(ws);
        return;
      }
      handleFrame(frame);
    };
    ws.onclose = (event) => {
      if (!greeted) reject(new ProtocolError('disconnected', `connection closed (${event.code})`));
      onSocketClosed(ws, event);
    };
  });
}

// Client-side token bucket mirroring hello.limits, so bursts (membership checks, name lookups)
// are spread out instead of hitting rate_limited and, eventually, close code 4029.
function sendDelayMs() {
  const rate = conn.limits.rate_per_second || 20;
  const burst = conn.limits.burst || rate;
  const now = performance.now();
  const b = conn.bucket;
  b.tokens = Math.min(burst, b.tokens + ((now - b.last) * rate) / 1000);
  b.last = now;
  b.tokens -= 1;
  return b.tokens >= 0 ? 0 : (-b.tokens * 1000) / rate;
}

export function request(type, fields = {}) {
  const ws = conn.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) {
    return Promise.reject(new ProtocolError('disconnected', 'not connected'));
  }
  const id = `r${conn.nextId++}`;
  const text = JSON.stringify({ ...fields, type, id });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.pending.delete(id);
      reject(new ProtocolError('timeout', `no answer to ${type}`));
    }, REQUEST_TIMEOUT_MS);
    conn.pending.set(id, { resolve, reject, timer });
    const delay = sendDelayMs();
    const transmit = () => {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    };
    if (delay > 0) setTimeout(transmit, delay); else transmit();
  });
}

export function settle(frame) {
  const entry = conn.pending.get(frame.id);
  if (!entry) return false;
  conn.pending.delete(frame.id);
  clearTimeout(entry.timer);
  if (frame.type === 'ok') entry.resolve(frame);
  else entry.reject(new ProtocolError(frame.code || 'error', frame.message));
  return true;
}

export function rejectAllPending() {
  for (const entry of conn.pending.values()) {
    clearTimeout(entry.timer);
    entry.reject(new ProtocolError('disconnected', 'connection lost'));
  }
  conn.pending.clear();
}

function onSocketClosed(ws, event) {
  if (ws !== conn.ws) return;  // an old socket we replaced on purpose
  conn.ws = null;
  clearTimeout(conn.renewTimer);
  rejectAllPending();
  clearTyping();
  if (event.code === 4003) {
    // The session's token expired or was revoked: the refresh token is no good either.
    endSession('Your session ended (expired or revoked). Please sign in again.');
    return;
  }
  if (!conn.wanted || !state.refreshToken) {
    setConnState('disconnected', 'offline');
    return;
  }
  scheduleReconnect();
}

// Exponential backoff with jitter, so a restarting node is not stampeded by every client at once.
function scheduleReconnect() {
  if (conn.retryTimer) return;
  if (conn.held) {
    setConnState('disconnected', 'offline');
    return;
  }
  const base = Math.min(30000, 500 * 2 ** conn.attempt);
  const delay = Math.round(base * (0.75 + Math.random() * 0.5));
  conn.attempt++;
  setConnState('reconnecting', `reconnecting in ${Math.max(1, Math.round(delay / 1000))} s`);
  conn.retryTimer = setTimeout(() => { conn.retryTimer = null; reconnect(); }, delay);
}

const SESSION_ERRORS = new Set(['token_invalid', 'token_expired', 'auth_failed', 'wrong_device']);

// New connection, re-authenticate with the refresh token, resubscribe with the resume points.
export async function reconnect() {
  if (!conn.wanted || !state.refreshToken) return;
  try {
    await openSocket();
    const ok = await request('auth', { refresh_token: state.refreshToken });
    await afterAuth(ok);
  } catch (err) {
    if (SESSION_ERRORS.has(err.code)) {
      endSession('Your session expired. Please sign in again.');
      return;
    }
    // Anything else (service unavailable, connection lost): drop this socket; its close retries.
    if (conn.ws) conn.ws.close(); else scheduleReconnect();
  }
}

export function reconnectNow() {
  clearTimeout(conn.retryTimer);
  conn.retryTimer = null;
  conn.attempt = 0;
  reconnect();
}

// The server closes with 4003 once the access token expires, so shortly before that we move to a
// fresh connection authenticated with the refresh token; resume points make this seamless.
export function scheduleRenewal(ok) {
  clearTimeout(conn.renewTimer);
  const expires = Number(ok.access_expires_unix_ms) || 0;
  if (!expires) return;
  const lifetime = expires - Date.now();
  const wait = Math.max(60000, lifetime - Math.max(60000, lifetime * 0.1));
  conn.renewTimer = setTimeout(() => {
    if (!conn.wanted || !conn.ws) return;
    const old = conn.ws;
    conn.ws = null;       // so its close event does not count as a failure
    rejectAllPending();
    old.close(1000, 'renewing session');
    reconnectNow();
  }, wait);
}
