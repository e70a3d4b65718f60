// Talking to the cloud API from the page: JSON in and out, the session cookie the login set (same
// origin, so nothing to attach), and refusals turned into errors that carry the API's code and
// message. A 401 means the session ended: the app sends the person to the login page.

export class ApiError extends Error {
  /** @param {number} status @param {{ code?: string, message?: string, problems?: string[] }} body */
  constructor(status, body) {
    super(body.message ?? `the cloud answered ${status}`);
    this.status = status;
    this.code = body.code ?? 'ERR_HTTP';
    this.problems = body.problems ?? [];
  }
}

/** Called when any request answers 401 (set by the app). @type {() => void} */
let onUnauthenticated = () => {};

/** @param {() => void} handler */
export function whenUnauthenticated(handler) {
  onUnauthenticated = handler;
}

/**
 * @param {string} path
 * @param {{ method?: string, body?: unknown, quiet401?: boolean }} [o]
 * @returns {Promise<any>}
 */
export async function api(path, o = {}) {
  /** @type {RequestInit} */
  const init = { method: o.method ?? 'GET', credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (o.body !== undefined) {
    init.headers = { ...init.headers, 'content-type': 'application/json' };
    init.body = JSON.stringify(o.body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { code: 'ERR_NETWORK', message: `the cloud cannot be reached (${/** @type {Error} */ (err).message})` });
  }
  const text = await res.text();
  let body;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    body = { message: text.slice(0, 200) };
  }
  if (!res.ok) {
    if (res.status === 401 && !o.quiet401) onUnauthenticated();
    throw new ApiError(res.status, body);
  }
  return body;
}

/** A query string from the defined values of `params` (comma-joining arrays). @param {Record<string, unknown>} params */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
