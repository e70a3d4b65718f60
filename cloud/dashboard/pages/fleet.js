// The fleet overview: every gateway with its health (online, last seen, backlog, loss ledger,
// open alerts) and every device (where it is, last seen, silent, open alerts). Gateway changes on
// the live stream update their row in place; alert changes reload the counts.

import { api } from '../lib/api.js';
import { agoEl, badge, fill, h, plural } from '../lib/dom.js';
import { table } from '../lib/table.js';

/** Device rows drawn at most; a filter narrows a bigger fleet. */
const MAX_DEVICE_ROWS = 200;

/**
 * The ledger a gateway last reported: `{lossSince, loss: [{class, reason, items, bytes}]}` or a bare list.
 * @param {unknown} ledger
 * @returns {{ class: string, reason: string, items: number, bytes: number }[] | null}
 */
export function lossEntries(ledger) {
  if (ledger === null || ledger === undefined) return null;
  const list = Array.isArray(ledger) ? ledger : /** @type {any} */ (ledger).loss;
  return Array.isArray(list) ? list.filter((e) => e && typeof e.items === 'number') : null;
}

/** @param {unknown} ledger */
export function lossCell(ledger) {
  const entries = lossEntries(ledger);
  if (entries === null) return h('span', { class: 'muted' }, 'not reported');
  const items = entries.reduce((n, e) => n + e.items, 0);
  if (items === 0) return badge('ok', 'No loss');
  return h(
    'details',
    { class: 'loss' },
    h('summary', null, badge('warn', `${plural(items, 'item')} lost`)),
    h('ul', null, entries.filter((e) => e.items > 0).map((e) => h('li', null, `${e.class} ${e.reason}: ${plural(e.items, 'item')}, ${Math.round(e.bytes / 1024)} KiB`))),
  );
}

/** @param {number} n @param {string} href */
const alertsLink = (n, href) => (n === 0 ? h('span', { class: 'muted' }, '0') : h('a', { href, class: 'alert-count' }, badge('alert', plural(n, 'open alert'))));

/**
 * @param {HTMLElement} main
 * @param {import('../app.js').App} app
 */
export async function show(main, app) {
  document.title = 'Fleet · Tributary';
  /** @type {Map<string, any>} */
  const gateways = new Map();
  /** @type {any[]} */
  let devices = [];
  const tiles = h('div', { class: 'tiles' });
  const gatewaySection = h('div');
  const deviceSection = h('div');
  const search = h('input', { id: 'device-filter', type: 'search', placeholder: 'id, gateway, site or line', autocomplete: 'off' });
  search.addEventListener('input', () => render());
  fill(
    main,
    h('h1', null, 'Fleet'),
    tiles,
    h('section', { 'aria-labelledby': 'gw-title' }, h('h2', { id: 'gw-title' }, 'Gateways'), gatewaySection),
    h(
      'section',
      { 'aria-labelledby': 'dev-title' },
      h('div', { class: 'section-head' }, h('h2', { id: 'dev-title' }, 'Devices'), h('div', { class: 'field inline' }, h('label', { for: 'device-filter' }, 'Filter devices'), search)),
      deviceSection,
    ),
  );

  /** @param {Set<string>} [flash] */
  const render = (flash = new Set()) => {
    const now = app.now();
    const gws = [...gateways.values()];
    const online = gws.filter((g) => g.online).length;
    const silent = devices.filter((d) => d.silent).length;
    const open = gws.reduce((n, g) => n + g.openAlerts, 0);
    fill(
      tiles,
      h('div', { class: 'tile' }, h('span', { class: 'tile-value' }, `${online} / ${gws.length}`), h('span', { class: 'tile-label' }, 'gateways online')),
      h('div', { class: 'tile' }, h('span', { class: 'tile-value' }, String(devices.length)), h('span', { class: 'tile-label' }, silent ? `devices, ${silent} silent` : 'devices, none silent')),
      h('a', { class: 'tile', href: '#/alerts' }, h('span', { class: 'tile-value' }, String(open)), h('span', { class: 'tile-label' }, 'unresolved alerts')),
    );
    fill(
      gatewaySection,
      table({
        caption: 'Gateways and their health',
        empty: 'No gateway is configured or has been heard from yet.',
        rows: gws,
        rowAttrs: (g) => ({ 'data-gateway': g.id, class: flash.has(g.id) ? 'flash' : null }),
        columns: [
          { label: 'Gateway', cell: (g) => h('span', null, h('strong', null, g.id), g.site ? h('span', { class: 'muted' }, ` ${g.site}/${g.line}`) : null) },
          { label: 'Status', cell: (g) => (g.lastSeen === null ? badge('idle', 'Never seen') : g.online ? badge('ok', 'Online') : badge('bad', 'Offline')) },
          { label: 'Last seen', cell: (g) => agoEl(g.lastSeen, now) },
          { label: 'Backlog', cell: (g) => (g.backlog === null ? h('span', { class: 'muted' }, '—') : plural(g.backlog, 'summary', 'summaries')) },
          { label: 'Loss ledger', cell: (g) => lossCell(g.lossLedger) },
          { label: 'Devices', cell: (g) => String(g.devices) },
          { label: 'Open alerts', cell: (g) => alertsLink(g.openAlerts, `#/alerts?gateway=${encodeURIComponent(g.id)}`) },
        ],
      }),
    );
    const words = search.value.trim().toLowerCase().split(/\s+/).filter((w) => w !== '');
    // Devices needing attention first (alerts, then silent), then by id.
    const shown = devices
      .filter((d) => words.every((w) => `${d.id} ${d.gateway} ${d.site} ${d.line}`.toLowerCase().includes(w)))
      .sort((a, b) => b.openAlerts - a.openAlerts || Number(b.silent) - Number(a.silent) || (a.id < b.id ? -1 : 1));
    fill(
      deviceSection,
      shown.length > MAX_DEVICE_ROWS ? h('p', { class: 'muted' }, `Showing ${MAX_DEVICE_ROWS} of ${shown.length} devices: filter to find others.`) : null,
      table({
        caption: 'Devices',
        empty: devices.length === 0 ? 'No device has sent a summary yet.' : 'No device matches the filter.',
        rows: shown.slice(0, MAX_DEVICE_ROWS),
        rowAttrs: (d) => ({ 'data-device': d.id }),
        columns: [
          { label: 'Device', cell: (d) => h('a', { href: `#/devices/${encodeURIComponent(d.id)}` }, d.id) },
          { label: 'Gateway', cell: (d) => d.gateway },
          { label: 'Site / line', cell: (d) => `${d.site} / ${d.line}` },
          { label: 'Status', cell: (d) => (d.silent ? badge('bad', 'Silent') : badge('ok', 'Sending')) },
          { label: 'Last summary', cell: (d) => agoEl(d.lastSeen, now) },
          { label: 'Open alerts', cell: (d) => alertsLink(d.openAlerts, `#/alerts?device=${encodeURIComponent(d.id)}`) },
        ],
      }),
    );
  };

  const load = async () => {
    const [g, d] = await Promise.all([api('/api/gateways'), api('/api/devices')]);
    gateways.clear();
    for (const one of g.gateways) gateways.set(one.id, one);
    devices = d.devices;
    render();
  };
  await load();

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let reloading;
  const reloadSoon = () => {
    clearTimeout(reloading);
    reloading = setTimeout(() => void load().catch(() => {}), 400);
  };
  // Gateway events say nothing of new devices or their last summary: while gateways report, the
  // lists are loaded again at most every 5 s.
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let refreshing;
  const refreshLater = () => {
    refreshing ??= setTimeout(() => {
      refreshing = undefined;
      void load().catch(() => {});
    }, 5000);
  };
  // Ages ("12 s ago") move on without any event.
  const ticker = setInterval(() => render(), 10_000);

  return {
    /** @param {any} g */
    onGateway(g) {
      const held = gateways.get(g.id);
      if (!held) return reloadSoon();
      gateways.set(g.id, { ...held, lastSeen: g.lastSeen, firstSeen: g.firstSeen, online: g.online, silentForMs: g.silentForMs, backlog: g.backlog, lossLedger: g.lossLedger });
      render(new Set([g.id]));
      refreshLater();
    },
    onAlert: reloadSoon,
    resync: reloadSoon,
    dispose() {
      clearInterval(ticker);
      clearTimeout(reloading);
      clearTimeout(refreshing);
    },
  };
}
