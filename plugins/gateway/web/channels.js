// Channels and membership: listing, joining, creating, direct channels and the subscription.
import { byteLength, schedule } from './dom.js';
import { saveSession, state } from './state.js';
import { conn, request } from './connection.js';
import { openChannel, renderHeader } from './conversation.js';
import { cacheUser, loadMembers } from './presence.js';
import { renderChannels, sortedChannels } from './sidebar.js';

// Every page of a listing (channels.list, channels.mine), one after the other.
async function listAll(type) {
  const all = [];
  let pageToken = '';
  do {
    const r = await request(type, pageToken ? { page_token: pageToken } : {});
    all.push(...(r.channels || []));
    pageToken = r.next_page_token || '';
  } while (pageToken);
  return all;
}

// channels.list gives the channels the user can see (public ones and their own), channels.mine which of
// them are theirs: two requests however many channels there are. Returns the ids of channels that became
// known as ours in this call.
export async function loadChannels() {
  const [list, mine] = await Promise.all([listAll('channels.list'), listAll('channels.mine')]);
  const ours = new Set(mine.map((position) => position.channel_id));
  const added = [];
  for (const ch of list) {
    const known = state.channels.has(ch.id);
    upsertChannel(ch);
    if (ours.has(ch.id) && !state.member.has(ch.id)) {
      // A public channel's backlog counts as unread once we learn it is ours; a private or direct one's
      // only the first time we see the channel at all.
      addMembership(ch.id, ch.kind === 'public' || !known);
      added.push(ch.id);
    }
  }
  schedule(renderChannels);
  return added;
}

// The server's rule for a channel's name (plugins/channel/channel_name.cpp), said before asking it; '' when
// the name is fine.
export function channelNameProblem(name) {
  if (!name) return 'A channel needs a name.';
  if (/[\s\u200b-\u200d\ufeff]/u.test(name)) return 'A channel name is one word: join words with - or _.';
  const bytes = byteLength(name);
  if (bytes > 64) return `A channel name has at most 64 bytes (this one has ${bytes}).`;
  return '';
}

export function upsertChannel(ch) {
  const prev = state.channels.get(ch.id);
  // last_sequence only grows; a stale listing must not lower what deliveries already told us.
  const lastSeq = Math.max(ch.last_sequence || 0, prev ? prev.last_sequence || 0 : 0);
  state.channels.set(ch.id, { ...prev, ...ch, last_sequence: lastSeq });
  if (ch.kind === 'direct' && !state.directPeer.has(ch.id) && state.user) {
    loadMembers(ch.id).catch(() => {});
  }
  schedule(renderChannels);
  if (ch.id === state.openId) schedule(renderHeader);
}

// Records that the user belongs to a channel; `fresh` means its backlog so far counts as unread
// (last_sequence minus what this user last read, from localStorage).
function addMembership(channelId, fresh) {
  state.member.add(channelId);
  const ch = state.channels.get(channelId);
  const lastSeq = ch ? ch.last_sequence || 0 : 0;
  if (fresh && state.baseline[channelId] === undefined) {
    state.baseline[channelId] = lastSeq;
    const read = state.lastRead[channelId] || 0;
    if (channelId !== state.openId) state.unread[channelId] = Math.max(0, lastSeq - read);
  }
  schedule(renderChannels);
}

// Resume points: for channels we already follow, the highest sequence we have; for channels new to
// us, their current last_sequence (we show their backlog through `history`, not the stream).
function resumePoints() {
  const points = {};
  for (const id of state.member) {
    if (state.resume[id] === undefined) {
      const ch = state.channels.get(id);
      state.resume[id] = ch ? ch.last_sequence || 0 : 0;
    }
    points[id] = state.resume[id];
  }
  return points;
}

export async function subscribe() {
  try {
    await request('subscribe', { resume: resumePoints() });
  } catch (err) {
    if (!['not_member', 'not_found', 'forbidden', 'out_of_range'].includes(err.code)) throw err;
    await resubscribeWithoutLostChannels();
  }
  saveSession();
}

// A channel in our resume points is no longer ours (we left or were removed while away): learn our
// memberships again and subscribe without it, instead of failing on every reconnect.
export async function resubscribeWithoutLostChannels() {
  state.member.clear();
  await loadChannels();
  for (const id of Object.keys(state.resume)) if (!state.member.has(id)) delete state.resume[id];
  await request('subscribe', { resume: resumePoints() });
  saveSession();
}

// Periodic and on-demand refresh: finds new public channels and channels we were invited to.
export async function refreshChannels() {
  if (!state.user || !conn.ws) return;
  const added = await loadChannels();
  if (added.length) await subscribe();  // so the stream covers them from here on
}

export async function createChannel(name, kind) {
  const r = await request('channels.create', { name, kind });
  await adoptJoinedChannel(r.channel);
}

export async function joinChannel(channelId) {
  // Joining a channel we already belong to is harmless: we end up a member either way.
  try {
    await request('channels.join', { channel_id: channelId });
  } catch (err) {
    if (err.code !== 'conflict') throw err;
  }
  const r = await request('channels.get', { channel_id: channelId });
  await adoptJoinedChannel(r.channel);
}

export async function openDirect(username) {
  const found = await request('users.find', { username });
  if (found.user) cacheUser(found.user);
  await openDirectWith(found.user.id);
}

export async function openDirectWith(userId) {
  const r = await request('direct.open', { user_id: userId });
  state.directPeer.set(r.channel.id, userId);
  await adoptJoinedChannel(r.channel);
}

async function adoptJoinedChannel(ch) {
  upsertChannel(ch);
  const isNew = !state.member.has(ch.id);
  if (isNew) {
    addMembership(ch.id, false);
    // Whether the stream follows channels joined after `subscribe` is not specified, so we
    // subscribe again; anything pushed twice is dropped by the sequence check.
    await subscribe();
  }
  openChannel(ch.id);
}

export function openFirstChannel() {
  const saved = state.openId;
  if (saved && state.member.has(saved)) { openChannel(saved); return; }
  const first = sortedChannels().find((ch) => state.member.has(ch.id));
  if (first) openChannel(first.id);
}
