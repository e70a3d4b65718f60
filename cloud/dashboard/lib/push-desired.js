// The desired entries by target (the fleet, a site, a gateway) as the cloud holds them: what each
// is, who pushed it when, and how many gateways it is in effect on (a narrower target's entry wins
// a slot, so a fleet entry may be in effect nowhere). Admins clear an entry through a small modal
// dialog: its gateways fall back to a broader target's entry, or keep what they run.

import { api } from './api.js';
import { openFormDialog } from './dialog.js';
import { fullTime, h, when } from './dom.js';
import { table } from './table.js';

/** `config` or `model motor-baseline`. @param {any} e */
const slotText = (e) => (e.kind === 'config' ? 'config' : `model ${e.name}`);

/**
 * @param {any[]} desired the entries (GET /api/push's `desired`)
 * @param {any[]} views every gateway's view
 * @param {import('../app.js').App} app
 * @param {number} now
 * @param {() => Promise<void>} reload
 */
export function desiredTable(desired, views, app, now, reload) {
  const inEffect = (/** @type {any} */ e) => views.filter((v) => [v.config, ...v.models].some((s) => s.desired?.id === e.id));
  const rows = [...desired].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : slotText(a) < slotText(b) ? -1 : 1));
  return table({
    caption: 'Desired configs and models, by target',
    empty: 'Nothing is desired yet: every gateway runs its own config file and models.',
    rows,
    rowAttrs: (e) => ({ 'data-target': e.target, 'data-slot': e.kind === 'config' ? 'config' : `model:${e.name}` }),
    columns: [
      { label: 'Target', cell: (e) => h('strong', null, e.target) },
      {
        label: 'What',
        class: 'wide',
        cell: (e) =>
          e.kind === 'config'
            ? h('details', { class: 'push-doc' }, h('summary', null, `config (${e.format.toUpperCase()})`), h('pre', null, e.document))
            : h('span', null, slotText(e), h('span', { class: 'muted' }, ` (${Math.ceil(e.size / 1024)} KiB)`)),
      },
      { label: 'Version', cell: (e) => e.version },
      { label: 'Pushed', cell: (e) => h('span', { title: fullTime(e.pushedAt) }, `${e.pushedBy}, ${when(e.pushedAt, now)}`) },
      {
        label: 'In effect on',
        cell: (e) => {
          const n = inEffect(e).length;
          return n === 0 ? h('span', { class: 'muted' }, 'no gateway (narrower targets win)') : `${n} gateway${n === 1 ? '' : 's'}`;
        },
      },
      ...(app.isAdmin ? [{ label: 'Clear', cell: (/** @type {any} */ e) => h('button', { type: 'button', class: 'secondary', 'aria-label': `Clear the ${slotText(e)} desired for ${e.target}`, onclick: () => clearDialog(e, reload) }, 'Clear') }] : []),
    ],
  });
}

/** @param {any} entry @param {() => Promise<void>} reload */
function clearDialog(entry, reload) {
  openFormDialog({
    title: `Clear the desired ${slotText(entry)}`,
    content: [h('p', null, `${entry.target} will no longer want ${slotText(entry)} ${entry.version}. Its gateways fall back to a broader target's entry, if there is one, or keep what they run.`)],
    confirm: 'Clear',
    focus: 'cancel',
    submit: async () => {
      const slot = entry.kind === 'config' ? 'config' : `models/${encodeURIComponent(entry.name)}`;
      await api(`/api/push/${encodeURIComponent(entry.target)}/${slot}`, { method: 'DELETE' });
      await reload();
    },
  });
}
