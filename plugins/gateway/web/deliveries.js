// Incoming frames: pushed messages applied to the conversation store, presence, typing.
import { $, schedule } from './dom.js';
import { conv, saveSession, state } from './state.js';
import { request, settle } from './connection.js';
import { resubscribeWithoutLostChannels, subscribe, upsertChannel } from './channels.js';
import { markRead, showEvent } from './conversation.js';
import { dropPending, onTyping, stopTyping } from './sending.js';
import { onPresence, refreshWatch, reloadOpenMembers } from './presence.js';
import { renderChannels } from './sidebar.js';
import { showError } from './views.js';
import { failure, sentence } from './wording.js';

export function handleFrame(frame) {
  switch (frame.type) {
    case 'ok':
    case 'error':
      if (!settle(frame) && frame.type === 'error') showError(sentence({ code: frame.code, message: frame.message }));
      break;
    case 'message':
      onDelivery(frame);
      break;
    case 'typing':
      onTyping(frame);
      break;
    case 'presence':
      // The presence may come as the frame's fields or nested under `presence`.
      onPresence(frame.presence && typeof frame.presence === 'object' ? frame.presence : frame);
      break;
    case 'resubscribe':
      subscribe().catch((err) => showError(failure('Could not follow your channels again', err)));
      break;
    case 'subscription_ended':
      // The server ended deliveries for a reason retrying would not fix (e.g. a resume point in a
      // channel we were removed from): start again from our current memberships.
      resubscribeWithoutLostChannels().catch((err) => showError(failure('Deliveries stopped and could not start again', err)));
      break;
    default:
      break;  // unknown frames are ignored, as the protocol asks
  }
}

function onDelivery(m) {
  const channelId = m.channel_id;
  if (!channelId || typeof m.sequence !== 'number') return;
  if (!state.member.has(channelId)) {
    // Pushed for a channel we did not know we belong to (e.g. someone invited us).
    state.member.add(channelId);
    if (!state.channels.has(channelId)) fetchChannel(channelId);
  }
  const prev = state.resume[channelId] || 0;
  const isNew = m.sequence > prev;
  if (isNew) {
    state.resume[channelId] = m.sequence;
    saveSession();
    bumpLastSequence(channelId, m.sequence);
  }
  const changed = storeEvent(channelId, m);
  if (!changed) return;  // "ignore a sequence I already have"

  const own = state.user && m.author_id === state.user.id;
  if (m.event === 'posted' || !m.event) {
    stopTyping(m.author_id);
    if (own) dropPending(m.client_message_id);
    const counted = m.sequence > (state.baseline[channelId] || 0);
    if (isNew && counted && !own && channelId !== state.openId) {
      state.unread[channelId] = (state.unread[channelId] || 0) + 1;
      schedule(renderChannels);
    }
  }
  if (channelId === state.openId) {
    showEvent(channelId, m);
    markRead(channelId);
    noticeAuthor(m.author_id);
  }
}

// Authors get presence dots too; one missing from the member list means someone joined since we
// loaded it (a joined event reloads it too), so reload it once per such author.
function noticeAuthor(userId) {
  const members = state.channelMembers.get(state.openId);
  if (members && userId && !members.includes(userId) && !state.memberMiss.has(userId)) {
    state.memberMiss.add(userId);
    reloadOpenMembers();
  }
  refreshWatch();
}

export function bumpLastSequence(channelId, seq) {
  const ch = state.channels.get(channelId);
  if (ch && (ch.last_sequence || 0) < seq) ch.last_sequence = seq;
}

async function fetchChannel(channelId) {
  try {
    const r = await request('channels.get', { channel_id: channelId });
    upsertChannel(r.channel);
  } catch { /* shown once it is listed */ }
}

// Applies one posted/edited/deleted event to the conversation store; false if already applied.
// Joined and left events only change who is in the channel: the member list is reloaded for them.
export function storeEvent(channelId, m) {
  const c = conv(channelId);
  if (c.seen.has(m.sequence)) return false;
  c.seen.add(m.sequence);
  const event = m.event || 'posted';
  if (event === 'posted') {
    c.posts.set(m.sequence, m);
  } else if (event === 'deleted') {
    c.edits.set(m.target_sequence, { seq: m.sequence, deleted: true });
  } else if (event === 'edited') {
    // Events can arrive out of order (history pages go backwards): the newest edit wins and a
    // delete beats any edit.
    const cur = c.edits.get(m.target_sequence);
    if (!cur || (!cur.deleted && cur.seq < m.sequence)) {
      c.edits.set(m.target_sequence, { seq: m.sequence, body: m.body });
    }
  }
  return true;
}
