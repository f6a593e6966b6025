// Views (sign-in or chat) and the error banner.
import { $ } from './dom.js';
import { conv, state } from './state.js';
import { pending } from './sending.js';
import { paintDot } from './presence.js';
import { sentence } from './wording.js';

let errorTimer = null;
export function showError(text) {
  $('error-text').textContent = text;
  $('error-banner').hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(hideError, 15000);
}
export function hideError() {
  $('error-banner').hidden = true;
}

export function showChat() {
  $('auth-view').hidden = true;
  $('chat-view').hidden = false;
  $('me').hidden = false;
  $('me-name').textContent = state.user.username;
  const dot = $('me-dot');
  dot.dataset.userId = state.user.id;
  paintDot(dot, state.presence.get(state.user.id));
  $('status-select').value = state.status;
}

export function showAuth() {
  $('chat-view').hidden = true;
  $('me').hidden = true;
  $('auth-view').hidden = false;
  for (const id of ['channel-list', 'browse-list', 'message-list', 'pending-list', 'member-list']) {
    $(id).replaceChildren();
  }
  pending.length = 0;
  state.displayedId = null;
  $('conv-title').textContent = 'No channel open';
  $('conv-topic').textContent = '';
  $('composer').disabled = true;
  $('send').disabled = true;
}

// Disables a form's button while its request runs; a failure is shown (`instead`: sentences that fit the
// form better, by error code), a success clears an earlier error.
export async function busy(form, fn, instead = {}) {
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    await fn();
    hideError();
  } catch (err) {
    showError(err.code ? sentence(err, instead) : String(err.message || err));
    return false;
  } finally {
    button.disabled = false;
  }
  return true;
}

// The channel drawer of the phone layout (style.css shows the sidebar as a drawer below 600 px).
export function setDrawer(open) {
  document.body.classList.toggle('drawer-open', open);
  $('drawer-toggle').setAttribute('aria-expanded', String(open));
}

// On a touch keyboard Enter adds a line and the Send button sends; with a keyboard Enter sends.
export function touchKeyboard() {
  return window.matchMedia('(pointer: coarse)').matches;
}
