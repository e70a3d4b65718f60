// A small modal dialog holding a form — a title, what it is about, Cancel and one confirming
// button — for the moves that change something (acknowledging an alert, clearing a push). The
// move runs on confirm; the dialog closes when it succeeds and shows the API's message when not.

import { h } from './dom.js';

/**
 * @param {{
 *   title: string,
 *   content: unknown[],
 *   confirm: string,
 *   submit: () => Promise<void>,
 *   focus?: HTMLElement | 'cancel',
 * }} o `focus`: what has focus when it opens (default the confirming button)
 */
export function openFormDialog(o) {
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const confirm = h('button', { type: 'submit', value: 'confirm' }, o.confirm);
  const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Cancel');
  const dialog = h(
    'dialog',
    { class: 'move', 'aria-labelledby': 'dialog-title' },
    h('form', { method: 'dialog' }, h('h2', { id: 'dialog-title' }, o.title), o.content, error, h('div', { class: 'actions' }, cancel, confirm)),
  );
  dialog.querySelector('form')?.addEventListener('submit', async (e) => {
    e.preventDefault();
    confirm.disabled = true;
    error.hidden = true;
    try {
      await o.submit();
      dialog.close();
    } catch (err) {
      error.textContent = /** @type {Error} */ (err).message;
      error.hidden = false;
      confirm.disabled = false;
    }
  });
  dialog.addEventListener('close', () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
  (o.focus === 'cancel' ? cancel : (o.focus ?? confirm)).focus();
}
