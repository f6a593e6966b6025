// History pages and the conversation view of the open channel.
import { $, h, schedule } from './dom.js';
import { conv, saveLastRead, saveSession, state } from './state.js';
import { request } from './connection.js';
import { bumpLastSequence, storeEvent } from './deliveries.js';
import { cancelPendingEdits } from './editing.js';
import { clearTyping, pendingFor } from './sending.js';
import { loadMembers, nameNode, presenceDot, refreshWatch, reloadOpenMembers } from './presence.js';
import { channelLabel, renderChannels } from './sidebar.js';
import { showError } from './views.js';
import { richText } from './rich_text.js';
import { failure } from './wording.js';

export async function loadHistory(channelId) {
  const c = conv(channelId);
  if (c.loading || (c.loaded && !c.more)) return;
  c.loading = true;
  renderHistoryState(channelId);
  try {
    const before = c.loaded && Number.isFinite(c.oldest) ? c.oldest : 0;
    const r = await request('history', { channel_id: channelId, before, limit: 50 });
    const messages = r.messages || [];
    for (const m of messages) {
      storeEvent(channelId, { ...m, channel_id: channelId });
      c.oldest = Math.min(c.oldest, m.sequence);
    }
    if (typeof r.last_sequence === 'number') bumpLastSequence(channelId, r.last_sequence);
    c.more = Boolean(r.more) && messages.length > 0;
    c.loaded = true;
    if (channelId === state.openId) {
      renderOlder(channelId);
      markRead(channelId);
      refreshWatch();  // authors of older messages get presence dots too
    }
  } catch (err) {
    if (err.code !== 'disconnected') showError(failure('Could not load the history', err));
  } finally {
    c.loading = false;
    renderHistoryState(channelId);
  }
  // A short first page may not fill the view, and then no scroll event would ever ask for more.
  const scroller = $('scroller');
  if (channelId === state.openId && c.more && scroller.scrollHeight <= scroller.clientHeight) {
    loadHistory(channelId);
  }
}

function renderHistoryState(channelId) {
  if (channelId !== state.openId) return;
  const c = conv(channelId);
  let text = '';
  if (c.loading) text = 'loading…';
  else if (c.loaded && !c.more) text = 'beginning of the conversation';
  $('history-state').textContent = text;
}

// ---------------------------------------------------------------------------------------------
// Conversation view

export function openChannel(channelId) {
  if (!state.channels.has(channelId)) return;
  state.openId = channelId;
  state.displayedId = channelId;
  state.memberMiss.clear();
  saveSession();
  state.unread[channelId] = 0;
  clearTyping();
  cancelPendingEdits();
  renderChannels();
  renderHeader();
  renderConversation(channelId);
  markRead(channelId);
  const c = conv(channelId);
  if (!c.loaded) loadHistory(channelId);
  loadMembers(channelId).catch(() => {});
  refreshWatch();
  $('composer').disabled = false;
  $('send').disabled = false;
  $('composer').focus();
}

export function renderHeader() {
  const ch = state.channels.get(state.openId);
  if (!ch) return;
  $('conv-title').textContent = channelLabel(ch);
  $('conv-topic').textContent = ch.topic || '';
}

function renderConversation(channelId) {
  const list = $('message-list');
  list.replaceChildren();
  $('pending-list').replaceChildren(...pendingFor(channelId).map((p) => p.node));
  const c = conv(channelId);
  const seqs = [...c.posts.keys()].sort((a, b) => a - b);
  list.append(...seqs.map((seq) => messageNode(channelId, seq)));
  renderHistoryState(channelId);
  scrollToBottom();
}

// After a history page: inserts what is missing while keeping the reader's place.
function renderOlder(channelId) {
  const scroller = $('scroller');
  const fromBottom = scroller.scrollHeight - scroller.scrollTop;
  const wasAtBottom = nearBottom();
  const c = conv(channelId);
  for (const seq of c.posts.keys()) placeMessage(channelId, seq);
  refreshEditedTargets(channelId);
  if (wasAtBottom) scrollToBottom();
  else scroller.scrollTop = scroller.scrollHeight - fromBottom;
}

// A live event in the open channel.
export function showEvent(channelId, m) {
  const stick = nearBottom();
  const event = m.event || 'posted';
  if (event === 'joined' || event === 'left') return reloadOpenMembers();
  if (event === 'posted') placeMessage(channelId, m.sequence);
  else updateMessageNode(channelId, m.target_sequence);
  if (stick) scrollToBottom();
}

function messageNodeFor(seq) {
  return $('message-list').querySelector(`li[data-sequence="${seq}"]`);
}

// Inserts the node for a posted message at its place by sequence (usually the end).
export function placeMessage(channelId, seq) {
  if (messageNodeFor(seq)) return;
  const list = $('message-list');
  const node = messageNode(channelId, seq);
  let after = list.lastElementChild;
  while (after && Number(after.dataset.sequence) > seq) after = after.previousElementSibling;
  list.insertBefore(node, after ? after.nextSibling : list.firstChild);
}

function refreshEditedTargets(channelId) {
  for (const target of conv(channelId).edits.keys()) updateMessageNode(channelId, target);
}

export function updateMessageNode(channelId, seq) {
  const old = messageNodeFor(seq);
  if (old && !old.classList.contains('editing')) old.replaceWith(messageNode(channelId, seq));
}

function messageNode(channelId, seq) {
  const c = conv(channelId);
  const m = c.posts.get(seq);
  const edit = c.edits.get(seq);
  const deleted = Boolean(edit && edit.deleted);
  const body = deleted ? 'message deleted' : edit ? edit.body : m.body;
  const own = state.user && m.author_id === state.user.id;
  const time = new Date(m.server_time_unix_ms || 0);

  const meta = h('div', { class: 'meta' },
    presenceDot(m.author_id),
    nameNode(m.author_id, 'author'),
    h('time', { text: time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
      datetime: time.toISOString(), title: time.toLocaleString() }),
    edit && !deleted ? h('span', { class: 'edited', text: '(edited)' }) : null);
  if (own && !deleted) {
    meta.append(
      h('button', { type: 'button', class: 'link', 'data-action': 'edit', text: 'edit' }),
      h('button', { type: 'button', class: 'link', 'data-action': 'delete', text: 'delete' }));
  }
  return h('li', {
    class: `message${own ? ' own' : ''}${deleted ? ' deleted' : ''}`,
    'data-testid': 'message',
    'data-sequence': seq,
    'data-author-id': m.author_id,
  }, meta, h('div', { class: 'body', 'data-testid': 'message-body' }, ...(deleted ? [body] : richText(body))));
}

function nearBottom() {
  const s = $('scroller');
  return s.scrollHeight - s.scrollTop - s.clientHeight < 60;
}

export function scrollToBottom() {
  const s = $('scroller');
  s.scrollTop = s.scrollHeight;
}

export function markRead(channelId) {
  const ch = state.channels.get(channelId);
  const top = Math.max(state.resume[channelId] || 0, ch ? ch.last_sequence || 0 : 0);
  if ((state.lastRead[channelId] || 0) < top) {
    state.lastRead[channelId] = top;
    saveLastRead();
  }
  if (state.unread[channelId]) {
    state.unread[channelId] = 0;
    schedule(renderChannels);
  }
}
