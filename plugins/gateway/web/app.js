// lanchat web client: plain JavaScript speaking the client protocol v1 (sdk-docs/client-protocol.md)
// over wss://HOST/ws. No framework and no build step; the page runs under a strict CSP, so everything
// here builds DOM nodes with textContent/classes (never innerHTML, inline styles or eval).
'use strict';

(() => {
  // ---------------------------------------------------------------------------------------------
  // Small helpers

  const $ = (id) => document.getElementById(id);

  // Creates an element; attrs go through setAttribute except `text` (textContent) and `class`.
  function h(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'text') node.textContent = value;
      else if (key === 'class') node.className = value;
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  const byteLength = (text) => new TextEncoder().encode(text).length;

  // client_message_id must be unique per message; randomUUID exists in secure contexts (https).
  function newClientMessageId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function debounce(fn, ms) {
    let timer = null;
    const run = (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => { timer = null; fn(...args); }, ms);
    };
    run.flush = () => { if (timer !== null) { clearTimeout(timer); timer = null; fn(); } };
    return run;
  }

  // Batches repeated render requests of the same kind into one run after the current task.
  const scheduled = new Set();
  function schedule(fn) {
    if (scheduled.has(fn)) return;
    scheduled.add(fn);
    queueMicrotask(() => { scheduled.delete(fn); fn(); });
  }

  class ProtocolError extends Error {
    constructor(code, message) {
      super(message || code);
      this.code = code;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // State

  const SESSION_KEY = 'lanchat.session';        // sessionStorage: survives a reload of this tab only
  const lastReadKey = (userId) => `lanchat.lastRead.${userId}`;  // localStorage, per user

  const state = {
    user: null,              // {id, username, roles}
    refreshToken: null,
    status: 'online',        // the status the user picked in the selector
    channels: new Map(),     // channel id -> channel object from the server
    member: new Set(),       // ids of channels the user belongs to
    checkedMembership: new Set(), // public channels whose membership we already looked up
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
  };
  let displayedId = null;    // channel whose conversation is in the DOM

  function conv(channelId) {
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
  function saveSessionNow() {
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
  const saveSession = debounce(saveSessionNow, 200);

  function loadSession() {
    try { return JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null'); } catch { return null; }
  }

  function clearSession() {
    try { sessionStorage.removeItem(SESSION_KEY); } catch { /* ignore */ }
  }

  function loadLastRead() {
    try { state.lastRead = JSON.parse(localStorage.getItem(lastReadKey(state.user.id)) || '{}'); }
    catch { state.lastRead = {}; }
  }
  const saveLastRead = debounce(() => {
    if (!state.user) return;
    try { localStorage.setItem(lastReadKey(state.user.id), JSON.stringify(state.lastRead)); } catch { /* ignore */ }
  }, 300);

  // ---------------------------------------------------------------------------------------------
  // Connection: one WebSocket, requests matched to answers by id

  const REQUEST_TIMEOUT_MS = 15000;

  const conn = {
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

  function setConnState(stateName, text) {
    const node = $('connection-status');
    node.dataset.state = stateName;
    node.textContent = text || stateName;
  }

  // Opens a socket and resolves once the server's `hello` arrived.
  function openSocket() {
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

  function request(type, fields = {}) {
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

  function settle(frame) {
    const entry = conn.pending.get(frame.id);
    if (!entry) return false;
    conn.pending.delete(frame.id);
    clearTimeout(entry.timer);
    if (frame.type === 'ok') entry.resolve(frame);
    else entry.reject(new ProtocolError(frame.code || 'error', frame.message));
    return true;
  }

  function rejectAllPending() {
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
  async function reconnect() {
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

  function reconnectNow() {
    clearTimeout(conn.retryTimer);
    conn.retryTimer = null;
    conn.attempt = 0;
    reconnect();
  }

  // The server closes with 4003 once the access token expires, so shortly before that we move to a
  // fresh connection authenticated with the refresh token; resume points make this seamless.
  function scheduleRenewal(ok) {
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

  // ---------------------------------------------------------------------------------------------
  // Sign in, register, sign out

  async function signIn(type, fields) {
    try {
      if (!conn.ws || conn.ws.readyState !== WebSocket.OPEN) await openSocket();
      const ok = await request(type, fields);
      await afterAuth(ok);
    } catch (err) {
      if (state.refreshToken) {
        // Signed in, but loading channels or subscribing failed: the reconnect path retries it all.
        showError(`${err.code}: ${err.message}`);
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
  async function afterAuth(ok) {
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
    if (state.openId && state.member.has(state.openId) && displayedId === state.openId) {
      // A reconnect: the stream resumes the open conversation; only the member list may be stale.
      loadMembers(state.openId).catch(() => {});
    } else {
      openFirstChannel();  // first sign-in, or a reload that restores the channel it showed
    }
  }

  async function logout() {
    conn.wanted = false;
    const token = state.refreshToken;
    try { await request('logout', token ? { refresh_token: token } : {}); } catch { /* going anyway */ }
    endSession('');
  }

  // Back to the sign-in form, forgetting everything about the session.
  function endSession(reason) {
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
      channels: new Map(), member: new Set(), checkedMembership: new Set(), resume: {}, baseline: {},
      unread: {}, lastRead: {}, convs: new Map(), presence: new Map(), channelMembers: new Map(),
      directPeer: new Map(), typing: new Map(), memberMiss: new Set(),
    });
    watching = new Set();
    $('status-select').value = 'online';
    setConnState('disconnected', 'offline');
    showAuth();
    if (reason) showError(reason);
  }

  // ---------------------------------------------------------------------------------------------
  // Channels and membership

  async function listAllChannels() {
    const all = [];
    let pageToken = '';
    do {
      const r = await request('channels.list', pageToken ? { page_token: pageToken } : {});
      all.push(...(r.channels || []));
      pageToken = r.next_page_token || '';
    } while (pageToken);
    return all;
  }

  // channels.list returns public channels plus those the user belongs to, without saying which are
  // which: private and direct ones are ours; for public ones we look for ourselves in the members.
  async function isMember(channelId) {
    let pageToken = '';
    for (let page = 0; page < 20; page++) {
      const fields = { channel_id: channelId };
      if (pageToken) fields.page_token = pageToken;
      const r = await request('channels.members', fields);
      if ((r.members || []).some((m) => m.user_id === state.user.id)) return true;
      pageToken = r.next_page_token || '';
      if (!pageToken) return false;
    }
    return false;
  }

  // Returns the ids of channels that became known as ours in this call.
  async function loadChannels() {
    const list = await listAllChannels();
    const added = [];
    const toCheck = [];
    for (const ch of list) {
      const known = state.channels.has(ch.id);
      upsertChannel(ch);
      if (ch.kind === 'public') {
        if (!state.member.has(ch.id) && !state.checkedMembership.has(ch.id)) toCheck.push(ch.id);
      } else if (!state.member.has(ch.id)) {
        addMembership(ch.id, !known);
        added.push(ch.id);
      }
    }
    // A few lookups at a time: fast enough, and polite to the rate limit.
    for (let i = 0; i < toCheck.length; i += 4) {
      const batch = toCheck.slice(i, i + 4);
      const results = await Promise.all(batch.map((id) => isMember(id).catch(() => false)));
      batch.forEach((id, k) => {
        state.checkedMembership.add(id);
        if (results[k]) { addMembership(id, true); added.push(id); }
      });
    }
    schedule(renderChannels);
    return added;
  }

  function upsertChannel(ch) {
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

  async function subscribe() {
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
  async function resubscribeWithoutLostChannels() {
    state.member.clear();
    state.checkedMembership.clear();
    await loadChannels();
    for (const id of Object.keys(state.resume)) if (!state.member.has(id)) delete state.resume[id];
    await request('subscribe', { resume: resumePoints() });
    saveSession();
  }

  // Periodic and on-demand refresh: finds new public channels and channels we were invited to.
  async function refreshChannels() {
    if (!state.user || !conn.ws) return;
    const added = await loadChannels();
    if (added.length) await subscribe();  // so the stream covers them from here on
  }

  async function createChannel(name, kind) {
    const r = await request('channels.create', { name, kind });
    await adoptJoinedChannel(r.channel);
  }

  async function joinChannel(channelId) {
    // Joining a channel we already belong to is harmless: we end up a member either way.
    try {
      await request('channels.join', { channel_id: channelId });
    } catch (err) {
      if (err.code !== 'conflict') throw err;
    }
    const r = await request('channels.get', { channel_id: channelId });
    await adoptJoinedChannel(r.channel);
  }

  async function openDirect(username) {
    const found = await request('users.find', { username });
    if (found.user) cacheUser(found.user);
    const r = await request('direct.open', { user_id: found.user.id });
    state.directPeer.set(r.channel.id, found.user.id);
    await adoptJoinedChannel(r.channel);
  }

  async function adoptJoinedChannel(ch) {
    upsertChannel(ch);
    state.checkedMembership.add(ch.id);
    const isNew = !state.member.has(ch.id);
    if (isNew) {
      addMembership(ch.id, false);
      // Whether the stream follows channels joined after `subscribe` is not specified, so we
      // subscribe again; anything pushed twice is dropped by the sequence check.
      await subscribe();
    }
    openChannel(ch.id);
  }

  function openFirstChannel() {
    const saved = state.openId;
    if (saved && state.member.has(saved)) { openChannel(saved); return; }
    const first = sortedChannels().find((ch) => state.member.has(ch.id));
    if (first) openChannel(first.id);
  }

  // ---------------------------------------------------------------------------------------------
  // Incoming frames

  function handleFrame(frame) {
    switch (frame.type) {
      case 'ok':
      case 'error':
        if (!settle(frame) && frame.type === 'error') showError(`${frame.code}: ${frame.message || ''}`);
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
        subscribe().catch((err) => showError(`resubscribe failed: ${err.message}`));
        break;
      case 'subscription_ended':
        // The server ended deliveries for a reason retrying would not fix (e.g. a resume point in a
        // channel we were removed from): start again from our current memberships.
        resubscribeWithoutLostChannels().catch((err) => showError(`subscription ended: ${err.message}`));
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
      state.checkedMembership.add(channelId);
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

  function bumpLastSequence(channelId, seq) {
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
  function storeEvent(channelId, m) {
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

  // ---------------------------------------------------------------------------------------------
  // History

  async function loadHistory(channelId) {
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
      if (err.code !== 'disconnected') showError(`history: ${err.message}`);
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

  function openChannel(channelId) {
    if (!state.channels.has(channelId)) return;
    state.openId = channelId;
    displayedId = channelId;
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

  function renderHeader() {
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
  function showEvent(channelId, m) {
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
  function placeMessage(channelId, seq) {
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

  function updateMessageNode(channelId, seq) {
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
    }, meta, h('div', { class: 'body', 'data-testid': 'message-body', text: body }));
  }

  function nearBottom() {
    const s = $('scroller');
    return s.scrollHeight - s.scrollTop - s.clientHeight < 60;
  }

  function scrollToBottom() {
    const s = $('scroller');
    s.scrollTop = s.scrollHeight;
  }

  function markRead(channelId) {
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

  // ---------------------------------------------------------------------------------------------
  // Editing and deleting own messages

  function startEdit(li) {
    const seq = Number(li.dataset.sequence);
    const c = conv(state.openId);
    const edit = c.edits.get(seq);
    const current = edit && !edit.deleted ? edit.body : c.posts.get(seq).body;
    const input = h('textarea', { class: 'edit-box', rows: 2 });
    input.value = current;
    const form = h('form', { class: 'edit-form' }, input,
      h('button', { type: 'submit', text: 'save' }),
      h('button', { type: 'button', class: 'link', 'data-action': 'cancel-edit', text: 'cancel' }));
    li.classList.add('editing');
    li.querySelector('.body').replaceWith(form);
    input.focus();
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = input.value;
      if (!body.trim() || body === current) { finishEdit(li); return; }
      try {
        await request('edit', { channel_id: state.openId, sequence: seq, body });
      } catch (err) {
        showError(`edit failed: ${err.code}: ${err.message}`);
      }
      finishEdit(li);
    });
  }

  function finishEdit(li) {
    li.classList.remove('editing');
    updateMessageNode(state.openId, Number(li.dataset.sequence));
  }

  function cancelPendingEdits() {
    for (const li of document.querySelectorAll('#message-list li.editing')) li.classList.remove('editing');
  }

  async function deleteMessage(li) {
    const seq = Number(li.dataset.sequence);
    try {
      await request('delete', { channel_id: state.openId, sequence: seq });
    } catch (err) {
      showError(`delete failed: ${err.code}: ${err.message}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sending

  const pending = [];  // {channelId, cmid, body, node}

  function pendingFor(channelId) {
    return pending.filter((p) => p.channelId === channelId);
  }

  function dropPending(cmid) {
    const i = pending.findIndex((p) => p.cmid === cmid);
    if (i >= 0) {
      pending[i].node.remove();
      pending.splice(i, 1);
    }
  }

  async function sendMessage() {
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
  async function transmitPending(entry) {
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
    } catch (err) {
      entry.node.classList.add('failed');
      entry.node.querySelector('.pending-state').replaceChildren(
        `not sent (${err.code}: ${err.message}) `,
        h('button', { type: 'button', class: 'link', 'data-action': 'retry', 'data-cmid': entry.cmid, text: 'retry' }),
        h('button', { type: 'button', class: 'link', 'data-action': 'discard', 'data-cmid': entry.cmid, text: 'discard' }));
      showError(`Message not sent: ${err.code}: ${err.message}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Typing notices

  let lastTypingSent = 0;

  function noteTyping() {
    const now = Date.now();
    if (!state.openId || now - lastTypingSent < 2500) return;  // others show it for 3 s
    lastTypingSent = now;
    request('typing', { channel_id: state.openId }).catch(() => {});
  }

  function onTyping(frame) {
    if (frame.channel_id !== state.openId || (state.user && frame.user_id === state.user.id)) return;
    clearTimeout(state.typing.get(frame.user_id));
    state.typing.set(frame.user_id, setTimeout(() => stopTyping(frame.user_id), 3000));
    renderTyping();
  }

  function stopTyping(userId) {
    if (!state.typing.has(userId)) return;
    clearTimeout(state.typing.get(userId));
    state.typing.delete(userId);
    renderTyping();
  }

  function clearTyping() {
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

  // ---------------------------------------------------------------------------------------------
  // Members and presence

  async function loadMembers(channelId) {
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
  const reloadOpenMembers = debounce(() => {
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
      if (err.code !== 'disconnected') showError(`presence: ${err.message}`);
    }
  }, 150);
  function refreshWatch(force = false) {
    if (force) watching = new Set();
    sendWatch();
  }

  function onPresence(p) {
    if (!p || !p.user_id) return;
    state.presence.set(p.user_id, p);
    for (const dot of document.querySelectorAll(`[data-testid="presence-dot"][data-user-id="${CSS.escape(p.user_id)}"]`)) {
      paintDot(dot, p);
    }
    if (state.user && p.user_id === state.user.id && ['online', 'away', 'dnd'].includes(p.status)) {
      $('status-select').value = p.status;
    }
  }

  function paintDot(dot, p) {
    dot.dataset.status = p ? p.status : 'unknown';
    dot.title = p ? `${p.status}${p.text ? ` — ${p.text}` : ''}` : 'unknown';
  }

  function presenceDot(userId) {
    const dot = h('span', { class: 'dot', 'data-testid': 'presence-dot', 'data-user-id': userId });
    paintDot(dot, state.presence.get(userId));
    return dot;
  }

  async function setStatus(status) {
    state.status = status;
    saveSession();
    try {
      const r = await request('presence.set', { status });
      if (r.presence) onPresence(r.presence);
    } catch (err) {
      showError(`status: ${err.code}: ${err.message}`);
    }
  }

  function renderMembers() {
    const ids = state.channelMembers.get(state.openId) || [];
    $('member-list').replaceChildren(...ids.map((id) =>
      h('li', { class: 'member', 'data-user-id': id }, presenceDot(id), nameNode(id))));
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

  function cacheUser(u) {
    state.users.set(u.id, u);
    for (const node of document.querySelectorAll(`[data-name-for="${CSS.escape(u.id)}"]`)) {
      node.textContent = displayName(u.id);
    }
    schedule(renderChannels);
  }

  function displayName(userId) {
    const u = state.users.get(userId);
    if (u && u.id) return u.display_name || u.username || userId;
    if (!u && userId) {
      state.users.set(userId, {});  // placeholder: request once
      wantedUsers.add(userId);
      flushUsers();
    }
    return userId || '?';
  }

  function nameNode(userId, cls = 'name') {
    return h('span', { class: cls, 'data-name-for': userId, text: displayName(userId) });
  }

  // ---------------------------------------------------------------------------------------------
  // Channel list and browse list

  function channelLabel(ch) {
    if (ch.kind === 'direct') {
      const peer = state.directPeer.get(ch.id);
      return `@${peer ? displayName(peer) : ch.name}`;
    }
    return `${ch.kind === 'private' ? '🔒' : '#'}${ch.name}`;
  }

  function sortedChannels() {
    const order = { public: 0, private: 0, direct: 1 };
    return [...state.channels.values()]
      .filter((ch) => !ch.archived)
      .sort((a, b) => (order[a.kind] - order[b.kind]) || channelLabel(a).localeCompare(channelLabel(b)));
  }

  function renderChannels() {
    const mine = [];
    const joinable = [];
    let totalUnread = 0;
    for (const ch of sortedChannels()) {
      if (state.member.has(ch.id)) {
        const unread = state.unread[ch.id] || 0;
        totalUnread += unread;
        const peer = ch.kind === 'direct' ? state.directPeer.get(ch.id) : null;
        mine.push(h('li', {
          class: `channel${ch.id === state.openId ? ' active' : ''}${unread ? ' has-unread' : ''}`,
          'data-testid': 'channel-item', 'data-channel-name': ch.name, 'data-channel-id': ch.id,
        }, h('button', { type: 'button', class: 'channel-button', 'data-action': 'open', 'data-channel-id': ch.id },
          peer ? presenceDot(peer) : null,
          h('span', { class: 'channel-name', text: channelLabel(ch) }),
          unread ? h('span', { class: 'unread', 'data-testid': 'unread-count', text: unread > 999 ? '999+' : unread }) : null)));
      } else if (ch.kind === 'public') {
        joinable.push(h('li', { class: 'joinable' },
          h('span', { class: 'channel-name', text: `#${ch.name}` }),
          h('button', { type: 'button', 'data-testid': 'join-channel', 'data-action': 'join',
            'data-channel-id': ch.id, 'data-channel-name': ch.name, text: 'Join' })));
      }
    }
    $('channel-list').replaceChildren(...mine);
    $('browse-list').replaceChildren(...joinable);
    document.title = totalUnread ? `(${totalUnread}) lanchat` : 'lanchat';
  }

  // ---------------------------------------------------------------------------------------------
  // Views and errors

  let errorTimer = null;
  function showError(text) {
    $('error-text').textContent = text;
    $('error-banner').hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(hideError, 15000);
  }
  function hideError() {
    $('error-banner').hidden = true;
  }

  function showChat() {
    $('auth-view').hidden = true;
    $('chat-view').hidden = false;
    $('me').hidden = false;
    $('me-name').textContent = state.user.username;
    const dot = $('me-dot');
    dot.dataset.userId = state.user.id;
    paintDot(dot, state.presence.get(state.user.id));
    $('status-select').value = state.status;
  }

  function showAuth() {
    $('chat-view').hidden = true;
    $('me').hidden = true;
    $('auth-view').hidden = false;
    for (const id of ['channel-list', 'browse-list', 'message-list', 'pending-list', 'member-list']) {
      $(id).replaceChildren();
    }
    pending.length = 0;
    displayedId = null;
    $('conv-title').textContent = 'No channel open';
    $('conv-topic').textContent = '';
    $('composer').disabled = true;
    $('send').disabled = true;
  }

  // Disables a form's button while its request runs, and reports failures.
  async function busy(form, fn) {
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      await fn();
    } catch (err) {
      showError(err.code ? `${err.code}: ${err.message}` : String(err.message || err));
      return false;
    } finally {
      button.disabled = false;
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring

  function wire() {
    $('error-dismiss').addEventListener('click', hideError);

    $('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      busy(event.target, async () => {
        hideError();
        try {
          await signIn('auth', { username: $('login-username').value, password: $('login-password').value });
        } catch (err) {
          if (err.code === 'auth_failed') throw new ProtocolError(err.code, 'wrong username or password');
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
    $('status-select').addEventListener('change', (event) => setStatus(event.target.value));

    $('new-channel-form').addEventListener('submit', (event) => {
      event.preventDefault();
      busy(event.target, async () => {
        const name = $('new-channel-name').value.trim();
        if (!name) return;
        await createChannel(name, $('new-channel-kind').value);
        $('new-channel-name').value = '';
      });
    });

    $('dm-form').addEventListener('submit', (event) => {
      event.preventDefault();
      busy(event.target, async () => {
        await openDirect($('dm-username').value.trim());
        $('dm-username').value = '';
      });
    });

    $('refresh-channels').addEventListener('click', () => {
      refreshChannels().catch((err) => showError(`channels: ${err.message}`));
    });

    $('composer-form').addEventListener('submit', (event) => {
      event.preventDefault();
      sendMessage();
    });
    $('composer').addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        sendMessage();
      }
    });
    $('composer').addEventListener('input', noteTyping);

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
      if (action === 'open') openChannel(button.dataset.channelId);
      else if (action === 'join') {
        button.disabled = true;
        joinChannel(button.dataset.channelId)
          .catch((err) => showError(`join failed: ${err.code}: ${err.message}`))
          .finally(() => { button.disabled = false; });
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
})();
