// The channel list and the browse list.
import { $, h } from './dom.js';
import { state } from './state.js';
import { displayName, presenceDot } from './presence.js';

export function channelLabel(ch) {
  if (ch.kind === 'direct') {
    const peer = state.directPeer.get(ch.id);
    return `@${peer ? displayName(peer) : ch.name}`;
  }
  return `${ch.kind === 'private' ? '🔒' : '#'}${ch.name}`;
}

export function sortedChannels() {
  const order = { public: 0, private: 0, direct: 1 };
  return [...state.channels.values()]
    .filter((ch) => !ch.archived)
    .sort((a, b) => (order[a.kind] - order[b.kind]) || channelLabel(a).localeCompare(channelLabel(b)));
}

export function renderChannels() {
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
