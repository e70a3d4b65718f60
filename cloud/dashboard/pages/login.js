// The login page: a username and password form that posts to /api/login, which answers the
// session and sets it as an HttpOnly cookie (the page never sees or stores the token itself).

import { api } from '../lib/api.js';
import { fill, h } from '../lib/dom.js';

/**
 * @param {HTMLElement} main
 * @param {{ onLogin: (me: { user: string, role: any }) => Promise<void>, next: string }} o
 */
export function show(main, o) {
  document.title = 'Log in · Tributary';
  const error = h('p', { class: 'error', id: 'login-error', role: 'alert', hidden: true });
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: false });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Log in');
  const form = h(
    'form',
    { class: 'login card', 'aria-labelledby': 'login-title', 'aria-describedby': 'login-error' },
    h('h1', { id: 'login-title' }, 'Log in to Tributary'),
    h('div', { class: 'field' }, h('label', { for: 'username' }, 'Username'), user),
    h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), password),
    error,
    submit,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    submit.textContent = 'Logging in…';
    try {
      const session = await api('/api/login', {
        method: 'POST',
        body: { username: /** @type {HTMLInputElement} */ (user).value.trim(), password: /** @type {HTMLInputElement} */ (password).value },
        quiet401: true,
      });
      /** @type {HTMLInputElement} */ (password).value = '';
      if (location.hash !== o.next) history.replaceState(null, '', o.next);
      await o.onLogin({ user: session.user, role: session.role });
    } catch (err) {
      const e = /** @type {import('../lib/api.js').ApiError} */ (err);
      error.textContent = e.code === 'ERR_API_LOGIN_FAILED' ? 'Wrong username or password.' : e.message;
      error.hidden = false;
      submit.disabled = false;
      submit.textContent = 'Log in';
      /** @type {HTMLInputElement} */ (password).select();
    }
  });
  fill(main, form);
  user.focus();
  return {};
}
