// The alert list: filter by state, severity, device and gateway (kept in the URL, so a filtered
// list can be linked), newest raised first; operators acknowledge and resolve from here. New and
// changed alerts arrive on the live stream and are put in place (or taken out when they no longer
// match the filter) without a reload.

import { api, query } from '../lib/api.js';
import { alertActions, alertTitle, severityBadge, stateBadge } from '../lib/alert-actions.js';
import { fill, fullTime, h, when } from '../lib/dom.js';
import { table } from '../lib/table.js';

const STATES = ['open', 'acknowledged', 'resolved'];
const SEVERITIES = ['critical', 'warning', 'info'];

/**
 * @param {HTMLElement} main
 * @param {import('../app.js').App} app
 * @param {string} _id
 * @param {URLSearchParams} params
 */
export async function show(main, app, _id, params) {
  document.title = 'Alerts · Tributary';
  const listed = (/** @type {string} */ key, /** @type {string[]} */ all, /** @type {string[]} */ fallback) => {
    const v = params.get(key);
    return v === null ? fallback : v.split(',').filter((s) => all.includes(s));
  };
  const filter = {
    state: listed('state', STATES, ['open', 'acknowledged']),
    severity: listed('severity', SEVERITIES, []),
    device: params.get('device') ?? '',
    gateway: params.get('gateway') ?? '',
  };
  /** @type {Map<string, any>} */
  const alerts = new Map();
  const list = h('div', { id: 'alert-list', 'aria-live': 'off' });
  const count = h('p', { class: 'muted', id: 'alert-count' });
  const devicesList = h('datalist', { id: 'device-options' });

  const checkboxes = (/** @type {string} */ name, /** @type {string[]} */ all, /** @type {string[]} */ chosen, /** @type {string} */ legend) =>
    h(
      'fieldset',
      { class: 'checks' },
      h('legend', null, legend),
      all.map((v) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name, value: v, checked: chosen.includes(v) }), ` ${v}`)),
    );
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter alerts' },
    checkboxes('state', STATES, filter.state, 'State'),
    checkboxes('severity', SEVERITIES, filter.severity, 'Severity (none ticked: all)'),
    h('div', { class: 'field' }, h('label', { for: 'filter-device' }, 'Device'), h('input', { id: 'filter-device', name: 'device', value: filter.device, list: 'device-options', autocomplete: 'off', placeholder: 'any device' }), devicesList),
    h('div', { class: 'field' }, h('label', { for: 'filter-gateway' }, 'Gateway'), h('input', { id: 'filter-gateway', name: 'gateway', value: filter.gateway, autocomplete: 'off', placeholder: 'any gateway' })),
    h('button', { type: 'submit' }, 'Apply'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (form));
    const next = query({
      state: /** @type {string[]} */ (data.getAll('state')).join(',') || 'none',
      severity: data.getAll('severity'),
      device: String(data.get('device') ?? '').trim(),
      gateway: String(data.get('gateway') ?? '').trim(),
    });
    app.navigate(`#/alerts${next}`);
  });
  fill(main, h('h1', null, 'Alerts'), form, count, list);

  /** @param {any} a */
  const matches = (a) =>
    filter.state.includes(a.state) &&
    (filter.severity.length === 0 || filter.severity.includes(a.event.severity)) &&
    (filter.device === '' || a.event.device === filter.device) &&
    (filter.gateway === '' || a.event.gateway === filter.gateway);

  /** @param {Set<string>} [flash] */
  const render = (flash = new Set()) => {
    const now = app.now();
    const rows = [...alerts.values()].sort((a, b) => b.event.raisedAt - a.event.raisedAt || (a.id < b.id ? -1 : 1));
    count.textContent = `${rows.length} ${rows.length === 1 ? 'alert' : 'alerts'}`;
    fill(
      list,
      table({
        caption: 'Alerts, newest raised first',
        empty: 'No alert matches this filter.',
        rows,
        rowAttrs: (a) => ({ 'data-alert': a.id, 'data-state': a.state, class: flash.has(a.id) ? 'flash' : null }),
        columns: [
          { label: 'Severity', cell: (a) => severityBadge(a.event.severity) },
          { label: 'State', cell: (a) => stateBadge(a.state) },
          { label: 'Raised', cell: (a) => h('time', { dateTime: new Date(a.event.raisedAt).toISOString(), title: fullTime(a.event.raisedAt) }, when(a.event.raisedAt, now)) },
          {
            label: 'Alert',
            class: 'wide',
            cell: (a) => h('div', null, h('a', { href: `#/alerts/${a.id}` }, alertTitle(a)), h('div', { class: 'message' }, a.event.message)),
          },
          {
            label: 'Device',
            cell: (a) => (a.event.device ? h('a', { href: `#/devices/${encodeURIComponent(a.event.device)}` }, a.event.device) : h('span', { class: 'muted' }, `gateway ${a.event.gateway}`)),
          },
          ...(app.canOperate ? [{ label: 'Actions', cell: (/** @type {any} */ a) => alertActions(a, app, (u) => upsert(u)) ?? h('span', { class: 'muted' }, '—') }] : []),
        ],
      }),
    );
  };

  /** @param {any} a */
  const upsert = (a) => {
    if (matches(a)) alerts.set(a.id, a);
    else alerts.delete(a.id);
    render(new Set([a.id]));
  };

  const load = async () => {
    const [found, devs] = await Promise.all([
      filter.state.length === 0 ? { alerts: [] } : api(`/api/alerts${query({ state: filter.state, severity: filter.severity, device: filter.device, gateway: filter.gateway, limit: 1000 })}`),
      api('/api/devices').catch(() => ({ devices: [] })),
    ]);
    alerts.clear();
    for (const a of found.alerts) alerts.set(a.id, a);
    fill(devicesList, devs.devices.map((/** @type {any} */ d) => h('option', { value: d.id })));
    render();
  };
  await load();

  return {
    onAlert: upsert,
    resync: () => void load().catch(() => {}),
  };
}
