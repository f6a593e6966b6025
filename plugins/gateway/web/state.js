// What the client knows: the signed-in user, channels, conversations, and what survives a reload.
import { debounce } from './dom.js';

const SESSION_KEY = 'lanchat.session';        // sessionStorage: survives a reload of this tab only
const lastReadKey = (userId) => `lanchat.lastRead.${userId}`;  // localStorage, per user

export const state = {
  user: null,              // {id, username, roles}
  refreshToken: null,
  status: 'online',        // the status the user picked in the selector
  channels: new Map(),     // channel id -> channel object from the server
  member: new Set(),       // ids of channels the user belongs to
  resume: {},              // channel id -> highest sequence received through the subscription stream
  baseline: {},            // channel id -> last_sequence when first listed (already counted as unread)
  unread: {},              // channel id -> count shown in the channel list
  lastRead: {},            // channel id -> highest sequence the user has seen (persisted per user)
  openId: null,            // channel shown in the conversation view
  convs: new Map(),        // channel id -> conversation (see conv())
  users: new Map(),        // user id -> {id, username, display_name}
  presence: new Map(),     // user id -> presence
  channelMembers: new Map(), // channel id -> [user ids] (open channel and direct channels)
  directPeer: new Map(),   // direct channel id -> the other user's id
  typing: new Map(),       // user id -> timer, for the open channel
  memberMiss: new Set(),   // authors seen in the open channel although not in its member list
  displayedId: null,       // channel whose conversation is in the DOM
};

export function conv(channelId) {
  let c = state.convs.get(channelId);
  if (!c) {
    c = {
      posts: new Map(),    // sequence -> posted message
      seen: new Set(),     // every sequence (posts and edit/delete events) already applied
      edits: new Map(),    // target sequence -> {seq, body} or {seq, deleted: true}
      oldest: Infinity,    // smallest sequence fetched by history: the next page ends before it
      more: true,
      loaded: false,
      loading: false,
    };
    state.convs.set(channelId, c);
  }
  return c;
}

// The refresh token, resume points and open channel go to sessionStorage so a reload of the tab
// re-authenticates and resumes without asking for the password again.
export function saveSessionNow() {
  if (!state.refreshToken) return;
  const data = {
    refresh_token: state.refreshToken,
    user: state.user,
    resume: state.resume,
    open: state.openId,
    status: state.status,
  };
  try { sessionStorage.setItem(SESSION_KEY, JSON.stringify(data)); } catch { /* storage full or off */ }
}
export const saveSession = debounce(saveSessionNow, 200);

export function loadSession() {
  try { return JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null'); } catch { return null; }
}

export function clearSession() {
  try { sessionStorage.removeItem(SESSION_KEY); } catch { /* ignore */ }
}

export function loadLastRead() {
  try { state.lastRead = JSON.parse(localStorage.getItem(lastReadKey(state.user.id)) || '{}'); }
  catch { state.lastRead = {}; }
}
export const saveLastRead = debounce(() => {
  if (!state.user) return;
  try { localStorage.setItem(lastReadKey(state.user.id), JSON.stringify(state.lastRead)); } catch { /* ignore */ }
}, 300);
