// Emoji shortcodes (`:smile:`) the message renderer replaces outside code: a small table of the ones people
// type at work, not the whole Unicode list.
export const EMOJI = new Map(Object.entries({
  smile: '😄', grin: '😁', joy: '😂', wink: '😉', blush: '😊', heart_eyes: '😍', thinking: '🤔',
  neutral_face: '😐', sweat_smile: '😅', cry: '😢', sob: '😭', angry: '😠', scream: '😱', sunglasses: '😎',
  slightly_smiling_face: '🙂', upside_down_face: '🙃', roll_eyes: '🙄', shrug: '🤷', facepalm: '🤦',
  '+1': '👍', thumbsup: '👍', '-1': '👎', thumbsdown: '👎', ok_hand: '👌', clap: '👏', wave: '👋',
  pray: '🙏', muscle: '💪', raised_hands: '🙌', point_up: '☝️', eyes: '👀',
  heart: '❤️', broken_heart: '💔', fire: '🔥', star: '⭐', sparkles: '✨', tada: '🎉', rocket: '🚀',
  warning: '⚠️', x: '❌', white_check_mark: '✅', heavy_check_mark: '✔️', question: '❓', exclamation: '❗',
  bulb: '💡', bug: '🐛', coffee: '☕', beer: '🍺', pizza: '🍕', cake: '🍰', calendar: '📅', memo: '📝',
  lock: '🔒', key: '🔑', hourglass: '⌛', zap: '⚡', 100: '💯',
}));
