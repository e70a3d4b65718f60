// The dashboard's shell: who is logged in, the hash router (#/fleet, #/alerts, #/alerts/<id>,
// #/devices/<id>, #/push, #/login), the header (open alert count, live state, log out), toasts
// for new alerts, and the one live stream whose events go to the page on screen.

import { api, whenUnauthenticated } from './lib/api.js';
import { fill, h } from './lib/dom.js';
import { Live } from './lib/live.js';
import * as alertPage from './pages/alert.js';
import * as alertsPage from './pages/alerts.js';
import * as devicePage from './pages/device.js';
import * as fleetPage from './pages/fleet.js';
import * as loginPage from './pages/login.js';
import * as pushPage from './pages/push.js';

/**
 * What every page gets.
 * @typedef {{
 *   me: { user: string, role: 'viewer' | 'operator' | 'admin' },
 *   live: Live,
 *   canOperate: boolean,
 *   isAdmin: boolean,
 *   now: () => number,
 *   navigate: (hash: string) => void,
 *   toast: (text: string, href?: string) => void,
 * }} App
 *
 * What a page returns: the live events it wants, and how to let go of what it holds.
 * @typedef {{
 *   onAlert?: (alert: any) => void,
 *   onGateway?: (gateway: any) => void,
 *   onPush?: (view: any) => void,
 *   onSummaries?: (summaries: any[]) => void,
 *   resync?: () => void,
 *   dispose?: () => void,
 * }} PageHandle
 */

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const live = new Live();
/** Alerts not yet resolved, by id: the count in the header. @type {Set<string>} */
const unresolved = new Set();
/** @type {App['me'] | undefined} */
let me;
/** @type {PageHandle | undefined} */
let page;
let generation = 0;

/**
 * `follows`: the page asks the live stream for more than alerts and gateways itself (live.follow).
 * @type {{ pattern: RegExp, page: string, show: (main: HTMLElement, app: App, id: string, params: URLSearchParams) => Promise<PageHandle>, follows?: boolean }[]}
 */
const ROUTES = [
  { pattern: /^\/?$/, page: 'fleet', show: fleetPage.show },
  { pattern: /^\/fleet$/, page: 'fleet', show: fleetPage.show },
  { pattern: /^\/alerts$/, page: 'alerts', show: alertsPage.show },
  { pattern: /^\/alerts\/([0-9a-f]{32})$/, page: 'alerts', show: alertPage.show },
  { pattern: /^\/devices\/(.+)$/, page: 'fleet', show: devicePage.show, follows: true },
  { pattern: /^\/push$/, page: 'push', show: pushPage.show, follows: true },
];

/** #/alerts?state=open → { path: '/alerts', params }. */
function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const [path, search] = raw.split('?', 2);
  return { path: path ?? '', params: new URLSearchParams(search ?? '') };
}

/** @param {string} hash */
function navigate(hash) {
  if (location.hash === hash) void route();
  else location.hash = hash;
}

/** @type {App['toast']} */
function toast(text, href) {
  const box = /** @type {HTMLElement} */ (document.getElementById('toasts'));
  const item = h('div', { class: 'toast' }, href ? h('a', { href }, text) : text);
  box.appendChild(item);
  setTimeout(() => item.remove(), 8000);
  while (box.children.length > 4) box.firstElementChild?.remove();
}

async function route() {
  const mine = ++generation;
  page?.dispose?.();
  page = undefined;
  const { path, params } = parseHash();
  if (!me) {
    document.body.classList.add('signed-out');
    setChrome(false);
    live.close();
    page = loginPage.show(main, { onLogin: loggedIn, next: path === '/login' ? '#/fleet' : `#${path}${params.size ? `?${params}` : ''}` });
    return;
  }
  if (path === '/login') return navigate('#/fleet');
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  for (const a of document.querySelectorAll('.mainnav a')) {
    if (match && /** @type {HTMLElement} */ (a).dataset.page === match.r.page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!match) {
    fill(main, h('h1', null, 'Not found'), h('p', null, 'There is no such page. ', h('a', { href: '#/fleet' }, 'Back to the fleet')));
    return;
  }
  fill(main, h('p', { class: 'loading' }, 'Loading…'));
  if (!match.r.follows) live.follow([]);
  try {
    const handle = await match.r.show(main, app(), decodeURIComponent(match.m?.[1] ?? ''), params);
    if (mine !== generation) return handle?.dispose?.();
    page = handle;
  } catch (err) {
    if (mine !== generation) return;
    fill(main, h('h1', null, 'Something went wrong'), h('p', { class: 'error', role: 'alert' }, /** @type {Error} */ (err).message));
  }
  const heading = main.querySelector('h1');
  if (heading && document.activeElement === document.body) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

/** @returns {App} */
function app() {
  const who = /** @type {NonNullable<typeof me>} */ (me);
  return { me: who, live, canOperate: who.role !== 'viewer', isAdmin: who.role === 'admin', now: () => live.now(), navigate, toast };
}

/** @param {boolean} signedIn */
function setChrome(signedIn) {
  for (const sel of ['.mainnav', '.session']) /** @type {HTMLElement} */ (document.querySelector(sel)).hidden = !signedIn;
  document.body.classList.toggle('signed-out', !signedIn);
  if (me) fill(/** @type {HTMLElement} */ (document.getElementById('who')), h('span', { class: 'user' }, me.user), ' ', h('span', { class: 'role' }, me.role));
}

function renderCount() {
  const el = /** @type {HTMLElement} */ (document.getElementById('open-count'));
  el.textContent = String(unresolved.size);
  el.setAttribute('aria-label', `${unresolved.size} unresolved alerts`);
  el.classList.toggle('zero', unresolved.size === 0);
}

async function loadCount() {
  const { alerts } = await api('/api/alerts?state=open,acknowledged&limit=10000');
  unresolved.clear();
  for (const a of alerts) unresolved.add(a.id);
  renderCount();
}

/** @param {{ user: string, role: 'viewer' | 'operator' | 'admin' }} who */
async function loggedIn(who) {
  me = who;
  setChrome(true);
  live.open();
  await loadCount().catch(() => {});
  await route();
}

live.on('state', (state) => {
  const el = /** @type {HTMLElement} */ (document.getElementById('live-state'));
  el.dataset.state = state;
  /** @type {HTMLElement} */ (el.querySelector('.label')).textContent = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : state === 'reconnecting' ? 'Reconnecting…' : 'Offline';
});
live.on('alert', (a) => {
  const isNew = !unresolved.has(a.id) && a.state === 'open' && a.history.length === 1;
  if (a.state === 'resolved') unresolved.delete(a.id);
  else unresolved.add(a.id);
  renderCount();
  if (isNew) toast(`New ${a.event.severity} alert: ${a.event.rule}${a.event.device ? ` on ${a.event.device}` : ` (${a.event.gateway})`}`, `#/alerts/${a.id}`);
  page?.onAlert?.(a);
});
live.on('gateway', (g) => page?.onGateway?.(g));
live.on('push', (v) => page?.onPush?.(v));
live.on('summaries', (s) => page?.onSummaries?.(s));
live.on('resync', async ({ reason }) => {
  if (reason === 'closed') {
    // A stream refused (not merely dropped) usually means the session ended.
    const still = await api('/api/me', { quiet401: true }).catch(() => undefined);
    if (!still) return signedOut();
    setTimeout(() => live.open(), 3000);
    return;
  }
  await loadCount().catch(() => {});
  page?.resync?.();
});

function signedOut() {
  me = undefined;
  unresolved.clear();
  live.close();
  void route();
}

whenUnauthenticated(() => {
  if (me) signedOut();
});

/** @type {HTMLElement} */ (document.getElementById('logout')).addEventListener('click', async () => {
  await api('/api/logout', { method: 'POST' }).catch(() => {});
  location.hash = '#/fleet';
  signedOut();
});

window.addEventListener('hashchange', () => void route());

const who = await api('/api/me', { quiet401: true }).catch(() => undefined);
if (who) await loggedIn(who);
else await route();
