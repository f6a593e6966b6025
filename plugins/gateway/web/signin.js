// Sign in, register, sign out: what happens on each authentication and at the end of a session.
import { $ } from './dom.js';
import { clearSession, loadLastRead, saveLastRead, saveSessionNow, state } from './state.js';
import { conn, openSocket, rejectAllPending, request, scheduleRenewal, setConnState } from './connection.js';
import { loadChannels, openFirstChannel, subscribe } from './channels.js';
import { forgetWatch, loadMembers, refreshWatch, setStatus } from './presence.js';
import { showAuth, showChat, showError } from './views.js';
import { failure } from './wording.js';

export async function signIn(type, fields) {
  try {
    if (!conn.ws || conn.ws.readyState !== WebSocket.OPEN) await openSocket();
    const ok = await request(type, fields);
    await afterAuth(ok);
  } catch (err) {
    if (state.refreshToken) {
      // Signed in, but loading channels or subscribing failed: the reconnect path retries it all.
      showError(failure('Signed in, but could not load your channels', err));
      if (conn.ws) conn.ws.close();
      return;
    }
    if (conn.ws) {
      // A failed attempt leaves no half-open socket behind (it would hit auth_timeout_ms anyway).
      const ws = conn.ws;
      conn.ws = null;
      ws.close();
      setConnState('disconnected', 'offline');
    }
    throw err;
  }
}

// Everything done on each successful authentication, first login and reconnects alike.
export async function afterAuth(ok) {
  const otherUser = !state.user || state.user.id !== ok.user.id;
  if (ok.refresh_token) state.refreshToken = ok.refresh_token;  // refresh tokens may rotate
  state.user = ok.user;
  conn.wanted = true;
  saveSessionNow();
  if (otherUser) loadLastRead();
  showChat();
  scheduleRenewal(ok);

  await loadChannels();
  await subscribe();
  conn.attempt = 0;
  setConnState('connected', 'connected');

  if (state.status !== 'online') setStatus(state.status);
  refreshWatch(true);
  if (state.openId && state.member.has(state.openId) && state.displayedId === state.openId) {
    // A reconnect: the stream resumes the open conversation; only the member list may be stale.
    loadMembers(state.openId).catch(() => {});
  } else {
    openFirstChannel();  // first sign-in, or a reload that restores the channel it showed
  }
}

export async function logout() {
  conn.wanted = false;
  const token = state.refreshToken;
  try { await request('logout', token ? { refresh_token: token } : {}); } catch { /* going anyway */ }
  endSession('');
}

// Back to the sign-in form, forgetting everything about the session.
export function endSession(reason) {
  conn.wanted = false;
  clearTimeout(conn.retryTimer);
  clearTimeout(conn.renewTimer);
  conn.retryTimer = null;
  if (conn.ws) {
    const ws = conn.ws;
    conn.ws = null;
    ws.close();
  }
  rejectAllPending();
  clearSession();
  saveLastRead.flush();
  Object.assign(state, {
    user: null, refreshToken: null, status: 'online', openId: null,
    channels: new Map(), member: new Set(), resume: {}, baseline: {},
    unread: {}, lastRead: {}, convs: new Map(), presence: new Map(), channelMembers: new Map(),
    directPeer: new Map(), typing: new Map(), memberMiss: new Set(),
  });
  forgetWatch();
  $('status-select').value = 'online';
  setConnState('disconnected', 'offline');
  showAuth();
  if (reason) showError(reason);
}
