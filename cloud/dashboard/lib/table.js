// Tables that turn into cards on a phone: every cell carries its column's name (data-label), which
// the narrow layout shows in front of the value, so no row needs horizontal scrolling.

import { h } from './dom.js';

/**
 * @template T
 * @typedef {{ label: string, cell: (row: T) => unknown, class?: string }} Column
 */

/**
 * @template T
 * @param {{ caption: string, columns: Column<T>[], rows: T[], rowAttrs?: (row: T) => Record<string, unknown>, empty: string }} o
 */
export function table(o) {
  if (o.rows.length === 0) return h('p', { class: 'empty' }, o.empty);
  return h(
    'table',
    { class: 'cards' },
    h('caption', { class: 'visually-hidden' }, o.caption),
    h('thead', null, h('tr', null, o.columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
    h(
      'tbody',
      null,
      o.rows.map((r) => h('tr', o.rowAttrs?.(r) ?? null, o.columns.map((c) => h('td', { 'data-label': c.label, class: c.class }, c.cell(r))))),
    ),
  );
}
