// What people read when something fails: a sentence for each error code of the client protocol
// (sdk-docs/client-protocol.md), never the code itself. Where the server's message already says what was
// wrong (which field, what limit, when to retry), that message is the sentence.
const SENTENCES = {
  auth_failed: 'Wrong username or password.',
  token_invalid: 'Your session is no longer valid: please sign in again.',
  token_expired: 'Your session expired: please sign in again.',
  wrong_device: 'This session belongs to another device: please sign in again.',
  not_authenticated: 'Please sign in first.',
  forbidden: 'You are not allowed to do that.',
  not_found: 'That does not exist, or you cannot see it.',
  not_member: 'You are not a member of this channel.',
  conflict: 'That clashes with what is already there.',
  out_of_range: 'That is no longer there.',
  rate_limited: 'You are going too fast: wait a moment and try again.',
  unavailable: 'The server is busy or a service is down: try again in a moment.',
  registration_closed: 'Registration is closed on this server: ask an administrator for an account.',
  disconnected: 'Not connected to the server: it reconnects by itself.',
  timeout: 'The server did not answer in time: try again.',
  internal: 'Something went wrong on the server.',
};
const SAID_BY_SERVER = new Set(['bad_request', 'throttled', 'too_large', 'invalid_body']);

function asSentence(text) {
  const trimmed = String(text || '').trim();
  if (!trimmed) return '';
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

// One sentence for a failed request; `instead` gives sentences that fit the action better, by code.
export function sentence(err, instead = {}) {
  const code = err && err.code;
  if (instead[code]) return instead[code];
  const fromServer = err && err.message !== code ? asSentence(err.message) : '';
  if (SAID_BY_SERVER.has(code) && fromServer) return fromServer;
  return SENTENCES[code] || fromServer || 'Something went wrong.';
}

// "Could not join the channel: You are not allowed to do that."
export function failure(what, err, instead = {}) {
  return `${what}: ${sentence(err, instead)}`;
}
