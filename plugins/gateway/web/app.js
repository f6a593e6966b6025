// lanchat web client: plain JavaScript modules speaking the client protocol v1
// (sdk-docs/client-protocol.md) over wss://HOST/ws. No framework and no build step; the page runs under a
// strict CSP, so everything builds DOM nodes with textContent/classes (never innerHTML, inline styles or
// eval). This module wires the page's events and starts the session.
import { $ } from './dom.js';
import { conv, loadLastRead, loadSession, saveLastRead, saveSession, state } from './state.js';
import { conn, reconnect, reconnectNow } from './connection.js';
import { logout, signIn } from './signin.js';
import { channelNameProblem, createChannel, joinChannel, openDirect, openDirectWith, refreshChannels } from './channels.js';
import { applyTheme, savedTheme } from './theme.js';
import { loadHistory, markRead, openChannel } from './conversation.js';
import { deleteMessage, finishEdit, startEdit } from './editing.js';
import { dropPending, noteTyping, pending, sendMessage, transmitPending } from './sending.js';
import { setStatus } from './presence.js';
import { busy, hideError, setDrawer, showAuth, showChat, showError, touchKeyboard } from './views.js';
import { failure } from './wording.js';

function wire() {
  $('error-dismiss').addEventListener('click', hideError);

  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy(event.target, async () => {
      hideError();
      try {
        await signIn('auth', { username: $('login-username').value, password: $('login-password').value });
      } catch (err) {
        throw err;
      }
      $('login-password').value = '';
    });
  });

  $('register-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const note = $('register-note');
    note.hidden = true;
    busy(event.target, async () => {
      hideError();
      const fields = { username: $('register-username').value, password: $('register-password').value };
      const displayNameValue = $('register-display-name').value.trim();
      if (displayNameValue) fields.display_name = displayNameValue;
      try {
        await signIn('register', fields);
      } catch (err) {
        if (err.code === 'registration_closed') {
          note.textContent = 'Registration is closed on this server: ask an administrator for an account.';
          note.hidden = false;
          return;
        }
        throw err;
      }
      $('register-password').value = '';
    });
  });

  $('logout').addEventListener('click', logout);
  $('theme-select').value = applyTheme(savedTheme());
  $('theme-select').addEventListener('change', (event) => applyTheme(event.target.value));
  $('status-select').addEventListener('change', (event) => setStatus(event.target.value));

  $('new-channel-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy(event.target, async () => {
      const name = $('new-channel-name').value.trim();
      const problem = channelNameProblem(name);
      if (problem) throw new Error(problem);
      await createChannel(name, $('new-channel-kind').value);
      $('new-channel-name').value = '';
    }, { conflict: 'A public channel of that name exists already: pick another name.' });
  });

  $('dm-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy(event.target, async () => {
      await openDirect($('dm-username').value.trim());
      $('dm-username').value = '';
    }, { not_found: 'There is no user of that name.' });
  });

  $('refresh-channels').addEventListener('click', () => {
    refreshChannels().then(hideError, (err) => showError(failure('Could not refresh the channels', err)));
  });

  $('composer-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sendMessage();
  });
  $('composer').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !touchKeyboard()) {
      event.preventDefault();
      sendMessage();
    }
  });
  $('composer').addEventListener('input', noteTyping);
  if (touchKeyboard()) $('composer').placeholder = 'Write a message';

  $('drawer-toggle').addEventListener('click', () => setDrawer(!document.body.classList.contains('drawer-open')));
  $('drawer-backdrop').addEventListener('click', () => setDrawer(false));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') setDrawer(false);
  });

  $('scroller').addEventListener('scroll', () => {
    if (state.openId && $('scroller').scrollTop < 80) {
      const c = conv(state.openId);
      if (c.loaded && c.more && !c.loading) loadHistory(state.openId);
    }
  });

  // One click handler for all the buttons built at runtime.
  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const action = button.dataset.action;
    if (action === 'open') {
      setDrawer(false);
      openChannel(button.dataset.channelId);
    }
    else if (action === 'join') {
      button.disabled = true;
      joinChannel(button.dataset.channelId)
        .then(hideError, (err) => showError(failure('Could not join the channel', err)))
        .finally(() => { button.disabled = false; });
    } else if (action === 'direct') {
      openDirectWith(button.dataset.userId).then(hideError, (err) => showError(failure('Could not open the conversation', err)));
    } else if (action === 'edit') startEdit(button.closest('li'));
    else if (action === 'cancel-edit') finishEdit(button.closest('li'));
    else if (action === 'delete') deleteMessage(button.closest('li'));
    else if (action === 'retry' || action === 'discard') {
      const entry = pending.find((p) => p.cmid === button.dataset.cmid);
      if (!entry) return;
      if (action === 'retry') transmitPending(entry); else dropPending(entry.cmid);
    }
  });

  // The network came back: do not wait for the backoff timer.
  window.addEventListener('online', () => {
    if (conn.wanted && !conn.ws && !conn.held) reconnectNow();
  });
  window.addEventListener('pagehide', () => { saveSession.flush(); saveLastRead.flush(); });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && state.openId) markRead(state.openId);
  });
  // Catches public channels created elsewhere and private channels we were invited to.
  setInterval(() => {
    if (conn.wanted && conn.ws && state.user) refreshChannels().catch(() => {});
  }, 60000);
}

// Hooks for the end-to-end browser test (tests/browser/two_users.mjs).
window.__lanchat = {
  get socket() { return conn.ws; },
  get user() { return state.user; },
  holdReconnect(on) {
    conn.held = Boolean(on);
    if (!conn.held && conn.wanted && !conn.ws) reconnectNow();
  },
};

function start() {
  wire();
  const saved = loadSession();
  if (saved && saved.refresh_token) {
    // A reload: resume the session this tab had.
    state.refreshToken = saved.refresh_token;
    state.user = saved.user || null;
    state.resume = saved.resume || {};
    state.openId = saved.open || null;
    state.status = saved.status || 'online';
    if (state.user) { loadLastRead(); showChat(); }
    conn.wanted = true;
    reconnect();
  } else {
    showAuth();
    $('login-username').focus();
  }
}

start();
