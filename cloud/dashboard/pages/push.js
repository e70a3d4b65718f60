// Config and model push: per gateway, the config version and model the cloud wants it to run
// (desired) against what the gateway reports it runs (applied), with the validation error it
// reported when it refused one. Admins set a new desired config or model version here.
//
// The shapes this page relies on (the push routes live in cloud/push/):
//   GET /api/push → { gateways: [{ gateway,
//       desired: { config?: { version, at, by }, model?: { name, version } },
//       applied: { config?: { version, at }, models?: [{ name, version, at? }], error?: { code, message, at } } }] }
//   PUT /api/push/config { gateway, config: "<the gateway config as YAML or JSON text>" }   (admin)
//   PUT /api/push/model  { gateway, name, version }                                        (admin)
// Without those routes (404), the page says push is not available.

import { api, ApiError } from '../lib/api.js';
import { badge, fill, fullTime, h, when } from '../lib/dom.js';
import { table } from '../lib/table.js';

/** In sync, pending or failed, from one gateway's desired and applied state. @param {any} p */
export function pushStatus(p) {
  const d = p.desired ?? {};
  const a = p.applied ?? {};
  const configDone = !d.config || a.config?.version === d.config.version;
  const modelDone = !d.model || (a.models ?? []).some((/** @type {any} */ m) => m.name === d.model.name && m.version === d.model.version);
  if (a.error && !(configDone && modelDone)) return { kind: 'bad', text: 'Refused' };
  if (configDone && modelDone) return { kind: 'ok', text: 'In sync' };
  return { kind: 'warn', text: 'Pending' };
}

/**
 * @param {HTMLElement} main
 * @param {import('../app.js').App} app
 */
export async function show(main, app) {
  document.title = 'Push · Tributary';
  const body = h('div', { id: 'push-state' });
  const forms = h('div');
  fill(main, h('h1', null, 'Config and model push'), body, forms);

  /** @type {any[]} */
  let state;
  try {
    state = (await api('/api/push')).gateways;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      fill(body, h('p', { class: 'empty', id: 'push-unavailable' }, 'Config and model push is not available on this cloud: it has no push routes (GET /api/push).'));
      return {};
    }
    throw err;
  }

  const render = () => {
    const now = app.now();
    fill(
      body,
      h('p', { class: 'muted' }, 'Desired is what the cloud sends; applied is what each gateway reports running. A gateway refuses a config or model that fails its validation and keeps the one it runs.'),
      table({
        caption: 'Desired against applied, per gateway',
        empty: 'No gateway to push to.',
        rows: state,
        rowAttrs: (p) => ({ 'data-gateway': p.gateway }),
        columns: [
          { label: 'Gateway', cell: (p) => h('strong', null, p.gateway) },
          { label: 'Desired config', cell: (p) => (p.desired?.config ? h('span', { title: fullTime(p.desired.config.at) }, `${p.desired.config.version} (${p.desired.config.by}, ${when(p.desired.config.at, now)})`) : h('span', { class: 'muted' }, 'none')) },
          { label: 'Applied config', cell: (p) => (p.applied?.config ? h('span', { title: fullTime(p.applied.config.at) }, `${p.applied.config.version} (${when(p.applied.config.at, now)})`) : h('span', { class: 'muted' }, 'not reported')) },
          { label: 'Desired model', cell: (p) => (p.desired?.model ? `${p.desired.model.name} ${p.desired.model.version}` : h('span', { class: 'muted' }, 'none')) },
          {
            label: 'Applied models',
            cell: (p) => ((p.applied?.models ?? []).length === 0 ? h('span', { class: 'muted' }, 'not reported') : (p.applied.models ?? []).map((/** @type {any} */ m) => `${m.name} ${m.version}`).join(', ')),
          },
          {
            label: 'Status',
            cell: (p) => {
              const s = pushStatus(p);
              return h('div', null, badge(s.kind, s.text), p.applied?.error ? h('div', { class: 'error-text' }, `${p.applied.error.code}: ${p.applied.error.message}`) : null);
            },
          },
        ],
      }),
    );
  };
  const load = async () => {
    state = (await api('/api/push')).gateways;
    render();
  };
  render();

  if (app.isAdmin) fill(forms, pushForms(state.map((p) => p.gateway), load));
  else fill(forms, h('p', { class: 'muted' }, 'Only admins can push a config or model.'));

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let reloading;
  const reloadSoon = () => {
    clearTimeout(reloading);
    reloading = setTimeout(() => void load().catch(() => {}), 300);
  };
  return { onGateway: reloadSoon, resync: reloadSoon, dispose: () => clearTimeout(reloading) };
}

/**
 * The admin's two forms: a config (text) or a model version for one gateway or all of them.
 * @param {string[]} gateways
 * @param {() => Promise<void>} reload
 */
function pushForms(gateways, reload) {
  const target = (/** @type {string} */ id) =>
    h('div', { class: 'field' }, h('label', { for: id }, 'Gateway'), h('select', { id, name: 'gateway' }, h('option', { value: '*' }, 'All gateways'), gateways.map((g) => h('option', { value: g }, g))));
  /** @param {string} id @param {string} title @param {unknown[]} fields @param {string} url @param {(data: FormData) => Record<string, unknown>} bodyOf */
  const form = (id, title, fields, url, bodyOf) => {
    const status = h('p', { class: 'form-status', role: 'status' });
    const el = /** @type {HTMLFormElement} */ (h('form', { class: 'card push-form', id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), fields, h('button', { type: 'submit' }, 'Push'), status));
    el.addEventListener('submit', async (e) => {
      e.preventDefault();
      const data = new FormData(el);
      const chosen = String(data.get('gateway'));
      const to = chosen === '*' ? gateways : [chosen];
      status.textContent = 'Pushing…';
      status.className = 'form-status';
      try {
        for (const gateway of to) await api(url, { method: 'PUT', body: { gateway, ...bodyOf(data) } });
        status.textContent = `Sent to ${to.length === 1 ? to[0] : `${to.length} gateways`}; applied follows when the gateway reports it.`;
        await reload();
      } catch (err) {
        status.textContent = /** @type {Error} */ (err).message;
        status.className = 'form-status error';
      }
    });
    return el;
  };
  return h(
    'div',
    { class: 'push-forms' },
    form(
      'push-model',
      'Push a model version',
      [
        target('model-gateway'),
        h('div', { class: 'field' }, h('label', { for: 'model-name' }, 'Model'), h('input', { id: 'model-name', name: 'name', required: true, placeholder: 'e.g. motor' })),
        h('div', { class: 'field' }, h('label', { for: 'model-version' }, 'Version'), h('input', { id: 'model-version', name: 'version', required: true, placeholder: 'e.g. 3' })),
      ],
      '/api/push/model',
      (d) => ({ name: String(d.get('name')).trim(), version: String(d.get('version')).trim() }),
    ),
    form(
      'push-config',
      'Push a gateway config',
      [target('config-gateway'), h('div', { class: 'field' }, h('label', { for: 'config-text' }, 'Config (YAML or JSON)'), h('textarea', { id: 'config-text', name: 'config', rows: 8, required: true, spellcheck: false }))],
      '/api/push/config',
      (d) => ({ config: String(d.get('config')) }),
    ),
  );
}
