// Building the page without a framework: h() makes an element from a tag, properties and children,
// and a few formatters every page shows time and numbers with.

/**
 * h('a', { href: '#/x', class: 'link' }, 'text', child) → an element. Functions named on* become
 * listeners (`onclick`); names the element has as properties are set as properties (false too);
 * `class`, `for`, `list`, `role`, `aria-*` and `data-*` become attributes (false leaves one out);
 * null and undefined are skipped. Children may be strings, nodes, arrays or null.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown> | null} [props]
 * @param {...unknown} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'function' && key.startsWith('on')) el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key in el && !key.includes('-') && key !== 'list' && key !== 'form' && key !== 'role') /** @type {any} */ (el)[key] = value;
    else if (value !== false) el.setAttribute(key === 'className' ? 'class' : key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** @param {Node} parent @param {unknown[]} children */
function append(parent, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace everything inside `el` with `children`. @param {Element} el @param {...unknown} children */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** An SVG-free status badge: the text says it, the colour only repeats it. @param {string} kind @param {string} text */
export const badge = (kind, text) => h('span', { class: `badge badge-${kind}` }, text);

// ---- formatting ------------------------------------------------------------------------------

const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const DATE_TIME = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** A clock time today, else date and time. @param {number | null | undefined} ms @param {number} now */
export function when(ms, now) {
  if (ms === null || ms === undefined) return '—';
  return Math.abs(now - ms) < 20 * 3600_000 ? TIME.format(ms) : DATE_TIME.format(ms);
}

/** Full date and time, for title attributes. @param {number | null | undefined} ms */
export const fullTime = (ms) => (ms === null || ms === undefined ? '' : new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC'));

/** `12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. @param {number | null | undefined} ageMs */
export function ago(ageMs) {
  if (ageMs === null || ageMs === undefined) return 'never';
  const s = Math.max(0, Math.round(ageMs / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** A <time> element showing `ago`, with the instant in its title and datetime. @param {number | null} ms @param {number} now */
export function agoEl(ms, now) {
  if (ms === null) return h('span', null, 'never');
  return h('time', { dateTime: new Date(ms).toISOString(), title: fullTime(ms) }, ago(now - ms));
}

/** Up to 4 significant digits, no exponent for everyday values. @param {number | null | undefined} v */
export function num(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.001 || a >= 1e7)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toLocaleString(undefined, { maximumFractionDigits: 4 });
}

/** `1 item` / `3 items`. @param {number} n @param {string} one @param {string} [many] */
export const plural = (n, one, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;
