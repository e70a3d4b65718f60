// Config and model push: per gateway, slot by slot (its config, each model), what the cloud wants
// it to run (desired) against what it last reported running, with the state of each slot and the
// error a gateway gave when it refused a push; the desired entries by target (fleet, a site, a
// gateway). Admins push a config document or upload a model here, and clear a target's entry.
//
// The routes (cloud/api/routes/push-routes.ts): GET /api/push → { desired: DesiredEntry[],
// gateways: GatewayPushView[] } (cloud/push/views.ts); each change of a gateway's view comes as a
// `push` event on the live stream, which this page asks for. Without those routes (404), the page
// says push is not available.

import { api, ApiError } from '../lib/api.js';
import { agoEl, badge, fill, fullTime, h, when } from '../lib/dom.js';
import { desiredTable } from '../lib/push-desired.js';
import { pushForms, targetsOf } from '../lib/push-forms.js';
import { table } from '../lib/table.js';

/** Gateway rows drawn at most; the filter narrows a bigger fleet. */
const MAX_GATEWAY_ROWS = 200;

/** A slot's state in words (the badge), its badge colour, and its rank when sorting gateways. */
const STATES = {
  refused: { kind: 'bad', text: 'Refused', rank: 0 },
  pending: { kind: 'warn', text: 'Pending', rank: 1 },
  unknown: { kind: 'idle', text: 'Unknown', rank: 2 },
  applied: { kind: 'ok', text: 'Applied', rank: 3 },
  none: { kind: 'idle', text: 'Nothing desired', rank: 4 },
};

/** @param {string} state */
const stateOf = (state) => STATES[/** @type {keyof typeof STATES} */ (state)] ?? STATES.unknown;

/** The gateway's own state: its worst slot (refused, pending, unknown), else in sync. @param {any} v */
export function gatewayState(v) {
  if (!v.reporting) return { key: 'unknown', kind: 'idle', text: 'Not reporting' };
  const worst = [v.config, ...v.models].map((s) => s.state).sort((a, b) => stateOf(a).rank - stateOf(b).rank)[0];
  if (worst === 'refused' || worst === 'pending') return { key: worst, kind: stateOf(worst).kind, text: stateOf(worst).text };
  return { key: 'in-sync', kind: 'ok', text: 'In sync' };
}

/** The desired push ids of a gateway's view, as one string to compare. @param {any} v */
const desiredIds = (v) => [v.config, ...v.models].map((s) => s.desired?.id ?? '-').join(',');

/**
 * What one slot runs, in words.
 * @param {any} slot
 * @param {boolean} reporting whether the gateway has said what it runs
 */
function runningText(slot, reporting) {
  const r = slot.running;
  if (r === null) return h('span', { class: 'muted' }, reporting ? 'not running' : 'not reported');
  if (r.id === null) return r.version === null ? h('span', null, 'its config file') : h('span', null, r.version, h('span', { class: 'muted' }, ' (its config file)'));
  return h('span', null, r.version ?? '?');
}

/**
 * One slot: its badge, desired against running, when it was sent, and the gateway's error.
 * @param {any} slot
 * @param {boolean} reporting
 * @param {number} now
 */
function slotBlock(slot, reporting, now) {
  const s = stateOf(slot.state);
  const d = slot.desired;
  let note = null;
  if (slot.state === 'pending') note = slot.sentAt ? `Sent ${when(slot.sentAt, now)}; waiting for the gateway's report.` : 'Not sent yet: the gateway gets it when it next reports.';
  return h(
    'div',
    { class: 'slot', 'data-slot': slot.slot, 'data-state': slot.state },
    h('div', { class: 'slot-head' }, slot.name ? h('strong', { class: 'slot-name' }, slot.name) : null, badge(s.kind, s.text)),
    h(
      'dl',
      { class: 'slot-facts' },
      h('dt', null, 'Desired'),
      h('dd', { class: 'slot-desired' }, d ? [d.version, h('span', { class: 'muted', title: fullTime(d.pushedAt) }, ` for ${d.target}, ${d.pushedBy} ${when(d.pushedAt, now)}`)] : h('span', { class: 'muted' }, '—')),
      h('dt', null, 'Running'),
      h('dd', { class: 'slot-running' }, runningText(slot, reporting)),
    ),
    note ? h('p', { class: 'slot-note muted' }, note) : null,
    slot.error ? h('p', { class: 'slot-error error-text', title: fullTime(slot.error.at) }, h('code', null, slot.error.code), `: ${slot.error.message}`) : null,
  );
}

/**
 * @param {HTMLElement} main
 * @param {import('../app.js').App} app
 */
export async function show(main, app) {
  document.title = 'Push · Tributary';
  // Ask for push progress before loading, so no report falls between the load and the stream.
  app.live.follow([], { push: true });
  /** @type {{ desired: any[], gateways: any[] }} */
  let state;
  try {
    state = await api('/api/push');
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      fill(main, h('h1', null, 'Config and model push'), h('p', { class: 'empty', id: 'push-unavailable' }, 'Config and model push is not available on this cloud: it has no push routes (GET /api/push).'));
      return {};
    }
    throw err;
  }
  /** @type {Map<string, any>} */
  const views = new Map(state.gateways.map((v) => [v.gateway, v]));
  let desired = state.desired;

  const tiles = h('div', { class: 'tiles', id: 'push-tiles' });
  const gatewaySection = h('div', { id: 'push-state' });
  const desiredSection = h('div', { id: 'push-desired' });
  const forms = h('div');
  const search = h('input', { id: 'push-filter', type: 'search', placeholder: 'id or site', autocomplete: 'off' });
  search.addEventListener('input', () => render());
  fill(
    main,
    h('h1', null, 'Config and model push'),
    h('p', { class: 'muted' }, 'Desired is what the cloud wants a gateway to run; running is what the gateway last reported. A gateway checks every push and refuses one that fails, keeping what it runs; the error it gave is shown here.'),
    tiles,
    h(
      'section',
      { 'aria-labelledby': 'push-gw-title' },
      h('div', { class: 'section-head' }, h('h2', { id: 'push-gw-title' }, 'Gateways'), h('div', { class: 'field inline' }, h('label', { for: 'push-filter' }, 'Filter gateways'), search)),
      gatewaySection,
    ),
    forms,
    h('section', { 'aria-labelledby': 'push-desired-title' }, h('h2', { id: 'push-desired-title' }, 'Desired by target'), desiredSection),
  );

  /** @param {Set<string>} [flash] */
  const render = (flash = new Set()) => {
    const now = app.now();
    const all = [...views.values()];
    const count = (/** @type {string} */ key) => all.filter((v) => gatewayState(v).key === key).length;
    fill(
      tiles,
      h('div', { class: 'tile' }, h('span', { class: 'tile-value' }, `${count('in-sync')} / ${all.length}`), h('span', { class: 'tile-label' }, 'gateways in sync')),
      h('div', { class: 'tile' }, h('span', { class: 'tile-value' }, String(count('pending'))), h('span', { class: 'tile-label' }, 'gateways with a push pending')),
      h('div', { class: 'tile' }, h('span', { class: 'tile-value' }, String(count('refused'))), h('span', { class: 'tile-label' }, 'gateways that refused a push')),
    );
    const words = search.value.trim().toLowerCase().split(/\s+/).filter((w) => w !== '');
    // Gateways needing attention first (refused, pending, not reporting), then by id.
    const rank = (/** @type {any} */ v) => ['refused', 'pending', 'unknown', 'in-sync'].indexOf(gatewayState(v).key);
    const shown = all.filter((v) => words.every((w) => `${v.gateway} ${v.site ?? ''}`.toLowerCase().includes(w))).sort((a, b) => rank(a) - rank(b) || (a.gateway < b.gateway ? -1 : 1));
    fill(
      gatewaySection,
      shown.length > MAX_GATEWAY_ROWS ? h('p', { class: 'muted' }, `Showing ${MAX_GATEWAY_ROWS} of ${shown.length} gateways: filter to find others.`) : null,
      table({
        caption: 'Desired against running, per gateway: its config and each model',
        empty: all.length === 0 ? 'No gateway is configured on this cloud.' : 'No gateway matches the filter.',
        rows: shown.slice(0, MAX_GATEWAY_ROWS),
        rowAttrs: (v) => ({ 'data-gateway': v.gateway, 'data-state': gatewayState(v).key, class: flash.has(v.gateway) ? 'flash' : null }),
        columns: [
          {
            label: 'Gateway',
            cell: (v) => {
              const g = gatewayState(v);
              return h(
                'div',
                { class: 'push-gateway' },
                h('strong', null, v.gateway),
                v.site ? h('span', { class: 'muted' }, ` ${v.site}`) : null,
                h('div', null, badge(g.kind, g.text)),
                h('div', { class: 'muted' }, v.reportedAt === null ? 'no report yet' : ['reported ', agoEl(v.reportedAt, now)]),
              );
            },
          },
          { label: 'Config', class: 'wide', cell: (v) => slotBlock(v.config, v.reporting, now) },
          { label: 'Models', class: 'wide', cell: (v) => (v.models.length === 0 ? h('span', { class: 'muted' }, 'none desired or running') : v.models.map((/** @type {any} */ m) => slotBlock(m, v.reporting, now))) },
        ],
      }),
    );
  };
  // Drawn when the desired entries change only (a load), so an open document stays open.
  const renderDesired = () => fill(desiredSection, desiredTable(desired, [...views.values()], app, app.now(), load));

  const load = async () => {
    const next = await api('/api/push');
    views.clear();
    for (const v of next.gateways) views.set(v.gateway, v);
    desired = next.desired;
    render();
    renderDesired();
  };

  render();
  renderDesired();
  if (app.isAdmin) fill(forms, pushForms(targetsOf(state.gateways), load));
  else fill(forms, h('p', { class: 'muted', id: 'push-admins-only' }, 'Only admins can push a config or a model.'));

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let reloading;
  const reloadSoon = () => {
    clearTimeout(reloading);
    reloading = setTimeout(() => void load().catch(() => {}), 300);
  };
  // Ages ("12 s ago") move on without any event.
  const ticker = setInterval(() => render(), 10_000);

  return {
    /** A gateway's new view, drawn at once; when what it should run changed (a push or a clear, maybe another admin's), the desired list is loaded again. @param {any} view */
    onPush(view) {
      const held = views.get(view.gateway);
      if (!held) return reloadSoon();
      views.set(view.gateway, view);
      if (desiredIds(held) !== desiredIds(view)) reloadSoon();
      render(new Set([view.gateway]));
    },
    resync: reloadSoon,
    dispose() {
      clearTimeout(reloading);
      clearInterval(ticker);
    },
  };
}
