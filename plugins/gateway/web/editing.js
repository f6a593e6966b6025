// Editing and deleting own messages.
import { $, h } from './dom.js';
import { conv, state } from './state.js';
import { request } from './connection.js';
import { updateMessageNode } from './conversation.js';
import { hideError, showError, touchKeyboard } from './views.js';
import { failure } from './wording.js';

export function startEdit(li) {
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
  // As in the composer: Enter saves (Shift+Enter, or any Enter on a touch keyboard, adds a line), Escape
  // cancels.
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      finishEdit(li);
    } else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !touchKeyboard()) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = input.value;
    if (!body.trim() || body === current) { finishEdit(li); return; }
    try {
      await request('edit', { channel_id: state.openId, sequence: seq, body });
      hideError();
    } catch (err) {
      showError(failure('Could not save the edit', err));
    }
    finishEdit(li);
  });
}

export function finishEdit(li) {
  li.classList.remove('editing');
  updateMessageNode(state.openId, Number(li.dataset.sequence));
}

export function cancelPendingEdits() {
  for (const li of document.querySelectorAll('#message-list li.editing')) li.classList.remove('editing');
}

export async function deleteMessage(li) {
  const seq = Number(li.dataset.sequence);
  try {
    await request('delete', { channel_id: state.openId, sequence: seq });
    hideError();
  } catch (err) {
    showError(failure('Could not delete the message', err));
  }
}
