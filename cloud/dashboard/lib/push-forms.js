// The admin's two push forms: a config document (YAML or JSON text, an optional version) and a
// model upload (the .onnx file and its .manifest.json, read in the browser and sent base64), each
// to a target: the fleet, a site, or one gateway. The cloud checks what it can at once (a refusal
// shows its message here); each gateway's verdict comes back on the page's gateway table.

import { api, ApiError } from './api.js';
import { h } from './dom.js';

/** @typedef {{ value: string, label: string, group: 'fleet' | 'site' | 'gateway' }} Target */

/**
 * Every target the gateways' views allow: the fleet, each site, each gateway.
 * @param {any[]} views
 * @returns {Target[]}
 */
export function targetsOf(views) {
  const sites = new Map();
  for (const v of views) if (v.site !== null) sites.set(v.site, (sites.get(v.site) ?? 0) + 1);
  const n = (/** @type {number} */ k) => `${k} gateway${k === 1 ? '' : 's'}`;
  return [
    { value: 'fleet', label: `The fleet (${n(views.length)})`, group: 'fleet' },
    ...[...sites].sort().map(([site, k]) => ({ value: `site:${site}`, label: `Site ${site} (${n(k)})`, group: /** @type {const} */ ('site') })),
    ...views.map((v) => ({ value: `gateway:${v.gateway}`, label: `Gateway ${v.gateway}`, group: /** @type {const} */ ('gateway') })),
  ];
}

/** @param {string} id @param {Target[]} targets */
function targetField(id, targets) {
  const group = (/** @type {string} */ g, /** @type {string} */ label) => {
    const list = targets.filter((t) => t.group === g).map((t) => h('option', { value: t.value }, t.label));
    return list.length === 0 ? null : h('optgroup', { label }, list);
  };
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, 'Target'),
    h('select', { id, name: 'target' }, targets.filter((t) => t.group === 'fleet').map((t) => h('option', { value: t.value }, t.label)), group('site', 'Sites'), group('gateway', 'Gateways')),
  );
}

/** Bytes as base64, in chunks (String.fromCharCode takes a bounded number of arguments). @param {Uint8Array} bytes */
export function base64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** What the cloud said, with its error code (the README's Errors table explains each). @param {unknown} err */
const refusal = (err) => (err instanceof ApiError && err.code.startsWith('ERR_') && err.status !== 0 ? `${err.code}: ${err.message}` : /** @type {Error} */ (err).message);

/**
 * A form whose submit runs `send` with the button disabled, saying in its status line how it went.
 * @param {string} id @param {string} title @param {string} button @param {unknown[]} fields
 * @param {(form: HTMLFormElement) => Promise<string>} send resolves with what to say
 */
function pushForm(id, title, button, fields, send) {
  const status = h('p', { class: 'form-status', id: `${id}-status`, role: 'status' });
  const submit = h('button', { type: 'submit' }, button);
  const form = h('form', { class: 'card push-form', id, 'aria-labelledby': `${id}-title` }, h('h3', { id: `${id}-title` }, title), fields, submit, status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    status.textContent = 'Pushing…';
    status.className = 'form-status';
    try {
      status.textContent = await send(form);
    } catch (err) {
      status.textContent = refusal(err);
      status.className = 'form-status error';
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** `sent to 2 gateways`, or why none got it yet. @param {string[]} gateways */
const reached = (gateways) => (gateways.length === 0 ? 'it reaches no gateway' : `it reaches ${gateways.length === 1 ? gateways[0] : `${gateways.length} gateways`}`);

/**
 * @param {Target[]} targets
 * @param {() => Promise<void>} reload the page's state, once the cloud took a push
 */
export function pushForms(targets, reload) {
  const config = pushForm(
    'push-config',
    'Push a config',
    'Push config',
    [
      targetField('config-target', targets),
      h('div', { class: 'field' }, h('label', { for: 'config-version' }, 'Version (optional)'), h('input', { id: 'config-version', name: 'version', maxLength: 64, placeholder: 'default: the time of the push', autocomplete: 'off' })),
      h('div', { class: 'field' }, h('label', { for: 'config-format' }, 'Format'), h('select', { id: 'config-format', name: 'format' }, h('option', { value: 'yaml' }, 'YAML'), h('option', { value: 'json' }, 'JSON'))),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'config-document' }, 'Config document'),
        h('p', { class: 'hint muted', id: 'config-document-hint' }, 'Merged over each gateway\'s own config file (JSON Merge Patch): only devices, models, detectors, alerts and decode can change while a gateway runs; null removes a key.'),
        h('textarea', { id: 'config-document', name: 'document', rows: 8, required: true, spellcheck: false, 'aria-describedby': 'config-document-hint' }),
      ),
    ],
    async (form) => {
      const data = new FormData(form);
      const target = String(data.get('target'));
      const version = String(data.get('version') ?? '').trim();
      const body = { document: String(data.get('document')), format: String(data.get('format')), ...(version ? { version } : {}) };
      const answer = await api(`/api/push/${encodeURIComponent(target)}/config`, { method: 'PUT', body });
      await reload();
      return `Config ${answer.desired.version} is desired for ${target}; ${reached(answer.gateways)}. Each gateway says applied or refused when it reports.`;
    },
  );

  const onnx = h('input', { id: 'model-onnx', name: 'onnx', type: 'file', accept: '.onnx', required: true });
  const manifestFile = h('input', { id: 'model-manifest', name: 'manifest', type: 'file', accept: '.json,application/json', required: true });
  const preview = h('p', { class: 'hint muted', id: 'model-preview' });
  /** The chosen manifest, parsed; throws saying what is wrong with it. */
  const readManifest = async () => {
    const file = manifestFile.files?.[0];
    if (!file) throw new Error('Choose the model\'s manifest (.manifest.json).');
    let manifest;
    try {
      manifest = JSON.parse(await file.text());
    } catch (err) {
      throw new Error(`${file.name} is not JSON: ${/** @type {Error} */ (err).message}`);
    }
    if (typeof manifest !== 'object' || manifest === null || typeof manifest.name !== 'string' || manifest.name === '') throw new Error(`${file.name} names no model (its "name" is missing).`);
    return manifest;
  };
  manifestFile.addEventListener('change', async () => {
    try {
      const m = await readManifest();
      preview.className = 'hint muted';
      preview.textContent = `${m.name}, version ${m.version ?? '?'}${m.window ? `, ${m.window.kind} ${m.window.sizeMs} ms windows` : ''}${Array.isArray(m.features) ? `, ${m.features.length} features` : ''}`;
    } catch (err) {
      preview.className = 'hint error';
      preview.textContent = /** @type {Error} */ (err).message;
    }
  });
  const model = pushForm(
    'push-model',
    'Upload a model',
    'Upload model',
    [
      targetField('model-target', targets),
      h('div', { class: 'field' }, h('label', { for: 'model-onnx' }, 'Model (.onnx)'), onnx),
      h('div', { class: 'field' }, h('label', { for: 'model-manifest' }, 'Manifest (.manifest.json)'), manifestFile, preview),
    ],
    async (form) => {
      const target = String(new FormData(form).get('target'));
      const manifest = await readManifest();
      const file = onnx.files?.[0];
      if (!file) throw new Error('Choose the model\'s .onnx file.');
      const body = { manifest, onnx: base64(new Uint8Array(await file.arrayBuffer())) };
      const answer = await api(`/api/push/${encodeURIComponent(target)}/models/${encodeURIComponent(manifest.name)}`, { method: 'PUT', body });
      await reload();
      return `Model ${answer.desired.name} ${answer.desired.version} is desired for ${target}; ${reached(answer.gateways)}. Each gateway says applied or refused when it reports.`;
    },
  );

  return h('section', { 'aria-labelledby': 'push-forms-title' }, h('h2', { id: 'push-forms-title' }, 'Push'), h('div', { class: 'push-forms' }, model, config));
}
