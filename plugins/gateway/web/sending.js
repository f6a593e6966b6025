// Sending (with retry of failed messages) and typing notices.
import { $, byteLength, h, newClientMessageId } from './dom.js';
import { state } from './state.js';
import { conn, request } from './connection.js';
import { storeEvent } from './deliveries.js';
import { placeMessage, scrollToBottom } from './conversation.js';
import { displayName } from './presence.js';
import { hideError, showError } from './views.js';
import { failure, sentence } from './wording.js';

export const pending = [];  // {channelId, cmid, body, node}

export function pendingFor(channelId) {
  return pending.filter((p) => p.channelId === channelId);
}

export function dropPending(cmid) {
  const i = pending.findIndex((p) => p.cmid === cmid);
  if (i >= 0) {
    pending[i].node.remove();
    pending.splice(i, 1);
  }
}

export async function sendMessage() {
  const composer = $('composer');
  const body = composer.value;
  const channelId = state.openId;
  if (!channelId || !body.trim()) return;
  const max = conn.limits.max_body_bytes;
  if (max && byteLength(body) > max) {
    showError(`The message is too long (${byteLength(body)} bytes, at most ${max}).`);
    return;
  }
  composer.value = '';
  const entry = {
    channelId, body, cmid: newClientMessageId(),
    node: h('li', { class: 'message pending', 'data-testid': 'pending-message' },
      h('div', { class: 'body', text: body }), h('div', { class: 'pending-state', text: 'sending…' })),
  };
  pending.push(entry);
  $('pending-list').append(entry.node);
  scrollToBottom();
  await transmitPending(entry);
}

// Retrying with the same client_message_id is safe: the server stores a message only once.
export async function transmitPending(entry) {
  entry.node.classList.remove('failed');
  entry.node.querySelector('.pending-state').replaceChildren('sending…');
  try {
    const r = await request('send', {
      channel_id: entry.channelId, body: entry.body, client_message_id: entry.cmid,
    });
    // Show it now even if our own delivery is still on its way. This does not move the resume
    // point: deliveries before this sequence may still be in flight.
    if (storeEvent(entry.channelId, {
      channel_id: entry.channelId, sequence: r.sequence, author_id: state.user.id, body: entry.body,
      server_time_unix_ms: r.server_time_unix_ms, client_message_id: entry.cmid, event: 'posted',
      target_sequence: 0,
    }) && entry.channelId === state.openId) {
      placeMessage(entry.channelId, r.sequence);
      scrollToBottom();
    }
    dropPending(entry.cmid);
    hideError();
  } catch (err) {
    entry.node.classList.add('failed');
    entry.node.querySelector('.pending-state').replaceChildren(
      `not sent: ${sentence(err)} `,
      h('button', { type: 'button', class: 'link', 'data-action': 'retry', 'data-cmid': entry.cmid, text: 'retry' }),
      h('button', { type: 'button', class: 'link', 'data-action': 'discard', 'data-cmid': entry.cmid, text: 'discard' }));
    showError(failure('Message not sent', err));
  }
}

// ---------------------------------------------------------------------------------------------
// Typing notices

let lastTypingSent = 0;

export function noteTyping() {
  const now = Date.now();
  if (!state.openId || now - lastTypingSent < 2500) return;  // others show it for 3 s
  lastTypingSent = now;
  request('typing', { channel_id: state.openId }).catch(() => {});
}

export function onTyping(frame) {
  if (frame.channel_id !== state.openId || (state.user && frame.user_id === state.user.id)) return;
  clearTimeout(state.typing.get(frame.user_id));
  state.typing.set(frame.user_id, setTimeout(() => stopTyping(frame.user_id), 3000));
  renderTyping();
}

export function stopTyping(userId) {
  if (!state.typing.has(userId)) return;
  clearTimeout(state.typing.get(userId));
  state.typing.delete(userId);
  renderTyping();
}

export function clearTyping() {
  for (const timer of state.typing.values()) clearTimeout(timer);
  state.typing.clear();
  renderTyping();
}

function renderTyping() {
  const names = [...state.typing.keys()].map(displayName);
  let text = '';
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = 'Several people are typing…';
  $('typing').textContent = text;
}
