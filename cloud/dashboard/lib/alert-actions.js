// The operator's two moves on an alert — acknowledge and resolve, each with an optional note —
// as buttons that open a small modal dialog. Viewers get no buttons at all (the API would refuse
// them with 403 anyway); every move's result comes back on the live stream too.

import { api } from './api.js';
import { openFormDialog } from './dialog.js';
import { badge, h } from './dom.js';

/** @param {string} state */
export const stateBadge = (state) => badge(state === 'open' ? 'bad' : state === 'acknowledged' ? 'warn' : 'ok', state[0]?.toUpperCase() + state.slice(1));

/** @param {string} severity */
export const severityBadge = (severity) => badge(`sev-${severity}`, severity);

/** What an alert is about, in a few words: `vibration-high on pump-7`. @param {any} a */
export const alertTitle = (a) => `${a.event.rule}${a.event.device ? ` on ${a.event.device}` : ` (gateway ${a.event.gateway})`}`;

/**
 * Buttons for the moves the alert's state allows, or nothing for viewers and resolved alerts.
 * @param {any} alert
 * @param {import('../app.js').App} app
 * @param {(updated: any) => void} done
 */
export function alertActions(alert, app, done) {
  if (!app.canOperate || alert.state === 'resolved') return null;
  /** @param {'acknowledge' | 'resolve'} move */
  const button = (move) =>
    h('button', { type: 'button', class: move === 'resolve' ? 'secondary' : '', 'data-action': move, 'aria-label': `${move === 'acknowledge' ? 'Acknowledge' : 'Resolve'} ${alertTitle(alert)}`, onclick: () => openDialog(alert, move, done) }, move === 'acknowledge' ? 'Acknowledge' : 'Resolve');
  return h('div', { class: 'actions' }, alert.state === 'open' ? button('acknowledge') : null, button('resolve'));
}

/**
 * @param {any} alert
 * @param {'acknowledge' | 'resolve'} move
 * @param {(updated: any) => void} done
 */
function openDialog(alert, move, done) {
  const note = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'move-note', name: 'note', rows: 3, maxLength: 2000, placeholder: move === 'acknowledge' ? 'e.g. crew on the way' : 'e.g. bearing replaced' }));
  const verb = move === 'acknowledge' ? 'Acknowledge' : 'Resolve';
  openFormDialog({
    title: `${verb} alert`,
    content: [h('p', null, alertTitle(alert), ': ', alert.event.message), h('div', { class: 'field' }, h('label', { for: 'move-note' }, 'Note (optional)'), note)],
    confirm: verb,
    focus: note,
    submit: async () => {
      const text = note.value.trim();
      const { alert: updated } = await api(`/api/alerts/${alert.id}/${move}`, { method: 'POST', body: text ? { note: text } : {} });
      done(updated);
    },
  });
}
