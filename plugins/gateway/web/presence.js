// Members, presence dots and display names (users.get, batched and cached).
import { $, debounce, h, schedule } from './dom.js';
import { conv, saveSession, state } from './state.js';
import { conn, request } from './connection.js';
import { renderChannels } from './sidebar.js';
import { hideError, showError } from './views.js';
import { failure } from './wording.js';

export async function loadMembers(channelId) {
  const ids = [];
  let pageToken = '';
  for (let page = 0; page < 10; page++) {  // enough for a side panel; large channels get truncated
    const fields = { channel_id: channelId };
    if (pageToken) fields.page_token = pageToken;
    const r = await request('channels.members', fields);
    ids.push(...(r.members || []).map((m) => m.user_id));
    pageToken = r.next_page_token || '';
    if (!pageToken) break;
  }
  state.channelMembers.set(channelId, ids);
  const ch = state.channels.get(channelId);
  if (ch && ch.kind === 'direct') {
    const peer = ids.find((id) => id !== state.user.id);
    if (peer) state.directPeer.set(channelId, peer);
    schedule(renderChannels);
  }
  if (channelId === state.openId) schedule(renderMembers);
  refreshWatch();
}

// A message from someone not in the member panel means the member list is stale (someone joined).
export const reloadOpenMembers = debounce(() => {
  if (state.openId) loadMembers(state.openId).catch(() => {});
}, 300);

function watchedIds() {
  const ids = new Set();
  if (state.user) ids.add(state.user.id);
  for (const id of state.channelMembers.get(state.openId) || []) ids.add(id);
  for (const id of state.directPeer.values()) ids.add(id);
  if (state.openId) {
    for (const m of conv(state.openId).posts.values()) if (m.author_id) ids.add(m.author_id);
  }
  return [...ids].sort().slice(0, 1000);
}

// Each presence.watch adds to what this connection watches (people who share a channel with us, at most
// 1000; the others come back in `refused`) and presence.unwatch takes people out: we send the difference.
// A new connection watches nobody, so a forced refresh starts again.
let watching = new Set();  // asked for on this connection, refused ones too (asking again changes nothing)
const sendWatch = debounce(async () => {
  if (!state.user || !conn.ws) return;
  const wanted = watchedIds();
  const add = wanted.filter((id) => !watching.has(id));
  const drop = [...watching].filter((id) => !wanted.includes(id));
  try {
    if (drop.length) {
      for (const id of drop) watching.delete(id);
      await request('presence.unwatch', { user_ids: drop });
    }
    if (add.length) {
      for (const id of add) watching.add(id);
      const r = await request('presence.watch', { user_ids: add });
      for (const p of r.users || []) onPresence(p);
    }
  } catch (err) {
    for (const id of add) watching.delete(id);
    if (err.code !== 'disconnected') showError(failure('Could not follow who is online', err));
  }
}, 150);
export function forgetWatch() {
  watching = new Set();
}
export function refreshWatch(force = false) {
  if (force) watching = new Set();
  sendWatch();
}

export function onPresence(p) {
  if (!p || !p.user_id) return;
  state.presence.set(p.user_id, p);
  for (const dot of document.querySelectorAll(`[data-testid="presence-dot"][data-user-id="${CSS.escape(p.user_id)}"]`)) {
    paintDot(dot, p);
  }
  if (state.user && p.user_id === state.user.id && ['online', 'away', 'dnd'].includes(p.status)) {
    $('status-select').value = p.status;
  }
}

export function paintDot(dot, p) {
  dot.dataset.status = p ? p.status : 'unknown';
  dot.title = p ? `${p.status}${p.text ? ` — ${p.text}` : ''}` : 'unknown';
}

export function presenceDot(userId) {
  const dot = h('span', { class: 'dot', 'data-testid': 'presence-dot', 'data-user-id': userId });
  paintDot(dot, state.presence.get(userId));
  return dot;
}

export async function setStatus(status) {
  state.status = status;
  saveSession();
  try {
    const r = await request('presence.set', { status });
    if (r.presence) onPresence(r.presence);
    hideError();
  } catch (err) {
    showError(failure('Could not set your status', err));
  }
}

function renderMembers() {
  const ids = state.channelMembers.get(state.openId) || [];
  // Anyone else in the list can be written to directly (a direct channel opens).
  $('member-list').replaceChildren(...ids.map((id) =>
    h('li', { class: 'member', 'data-user-id': id }, presenceDot(id), nameNode(id),
      id === state.user.id ? null : h('button', {
        type: 'button', class: 'link', 'data-action': 'direct', 'data-user-id': id, 'data-testid': 'message-member',
        text: 'message', 'aria-label': `Message ${displayName(id)}`,
      }))));
}

// ---------------------------------------------------------------------------------------------
// Display names (users.get, batched and cached)

const wantedUsers = new Set();
const flushUsers = debounce(async () => {
  const ids = [...wantedUsers];
  wantedUsers.clear();
  for (let i = 0; i < ids.length; i += 100) {
    try {
      const r = await request('users.get', { user_ids: ids.slice(i, i + 100) });
      for (const u of r.users || []) cacheUser(u);
    } catch {
      ids.slice(i, i + 100).forEach((id) => state.users.delete(id));  // ask again next time
    }
  }
}, 30);

export function cacheUser(u) {
  state.users.set(u.id, u);
  for (const node of document.querySelectorAll(`[data-name-for="${CSS.escape(u.id)}"]`)) {
    node.textContent = displayName(u.id);
  }
  schedule(renderChannels);
}

export function displayName(userId) {
  const u = state.users.get(userId);
  if (u && u.id) return u.display_name || u.username || userId;
  if (!u && userId) {
    state.users.set(userId, {});  // placeholder: request once
    wantedUsers.add(userId);
    flushUsers();
  }
  return userId || '?';
}

export function nameNode(userId, cls = 'name') {
  return h('span', { class: cls, 'data-name-for': userId, text: displayName(userId) });
}
