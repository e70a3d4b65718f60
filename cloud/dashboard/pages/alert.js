// One alert: what raised it and the evidence (features, model score, window — or, for a rule judged
// on each reading, the reading's time and its arrival at the gateway), its state and who
// moved it with their notes, the operator's moves, and the flight recorder — the raw readings the
// gateway sent from around the moment it was raised, charted per metric with the alert marked.

import { api } from '../lib/api.js';
import { alertActions, alertTitle, severityBadge, stateBadge } from '../lib/alert-actions.js';
import { COLORS, SEVERITY_COLORS, timeChart } from '../lib/charts.js';
import { fill, fullTime, h, num, plural, when } from '../lib/dom.js';

/** Ask again for raw readings that have not all arrived (ms). */
const RAW_POLL_MS = 15_000;
/** Rows of the raw readings table at most (the charts show them all). */
const TABLE_ROWS = 500;

/**
 * @param {HTMLElement} main
 * @param {import('../app.js').App} app
 * @param {string} id
 */
export async function show(main, app, id) {
  let { alert } = await api(`/api/alerts/${id}`);
  const head = h('div');
  const evidence = h('section', { 'aria-labelledby': 'evidence-title' });
  const history = h('section', { 'aria-labelledby': 'history-title' });
  const recorder = h('section', { 'aria-labelledby': 'raw-title', id: 'flight-recorder' });
  fill(main, head, evidence, recorder, history);
  /** @type {{ destroy: () => void }[]} */
  let charts = [];
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let poll;

  const render = () => {
    const now = app.now();
    const e = alert.event;
    document.title = `${alertTitle(alert)} · Tributary`;
    fill(
      head,
      h('p', { class: 'crumbs' }, h('a', { href: '#/alerts' }, 'Alerts'), ' / ', e.device ? h('a', { href: `#/devices/${encodeURIComponent(e.device)}` }, e.device) : `gateway ${e.gateway}`),
      h('h1', null, alertTitle(alert)),
      h('p', { class: 'badges', id: 'alert-state', 'data-state': alert.state }, severityBadge(e.severity), ' ', stateBadge(alert.state)),
      h('p', { class: 'lead' }, e.message),
      alertActions(alert, app, (u) => {
        alert = u;
        render();
      }),
      h(
        'dl',
        { class: 'facts' },
        fact('Gateway', e.gateway),
        fact('Device', e.device || '—'),
        fact('Rule', `${e.rule} (${e.ruleType})`),
        fact('Raised', h('time', { dateTime: new Date(e.raisedAt).toISOString(), title: fullTime(e.raisedAt) }, when(e.raisedAt, now))),
        fact('Latest event', `${e.state}, revision ${e.revision}, ${when(e.at, now)}`),
        alert.acknowledged ? fact('Acknowledged', `by ${alert.acknowledged.by}, ${when(alert.acknowledged.at, now)}${alert.acknowledged.note ? `: “${alert.acknowledged.note}”` : ''}`) : null,
        alert.resolved ? fact('Resolved', `by ${alert.resolved.by} (${alert.resolved.cause}), ${when(alert.resolved.at, now)}${alert.resolved.note ? `: “${alert.resolved.note}”` : ''}`) : null,
      ),
    );
    const ev = e.evidence ?? {};
    const features = Object.entries(ev.features ?? {});
    const computed = Object.entries(ev.computed ?? {});
    // reading-threshold: judged on one raw reading, so its unit is readings and its features are metrics.
    const unit = ev.reading ? 'readings' : 'windows';
    fill(
      evidence,
      h('h2', { id: 'evidence-title' }, 'Evidence'),
      h(
        'dl',
        { class: 'facts' },
        ev.window ? fact('Window', `${ev.window.kind}, ${when(ev.window.start, now)} – ${when(ev.window.end, now)}`) : null,
        ev.reading
          ? fact(
              'Reading',
              h(
                'span',
                { id: 'evidence-reading' },
                h('time', { dateTime: new Date(ev.reading.ts).toISOString(), title: fullTime(ev.reading.ts) }, when(ev.reading.ts, now)),
                ` (received by the gateway ${fullTime(ev.reading.receivedAt)})`,
              ),
            )
          : null,
        ev.score ? fact('Model score', `${num(ev.score.value)} (threshold ${num(ev.score.threshold)}; ${ev.score.model} ${ev.score.version})`) : null,
        ev.detector ? fact('Detector', `${ev.detector.detector} on ${ev.detector.feature}: ${num(ev.detector.statistic)}`) : null,
        ev.bad !== undefined ? fact(`Bad ${unit}`, String(ev.bad)) : null,
        ...computed.map(([k, v]) => fact(k, num(/** @type {number} */ (v)))),
      ),
      features.length === 0
        ? null
        : h(
            'table',
            { class: 'compact' },
            h('caption', null, ev.reading ? "The reading's values the rule looked at" : 'Features the rule looked at'),
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, ev.reading ? 'Metric' : 'Feature'), h('th', { scope: 'col' }, 'Value'))),
            h('tbody', null, features.map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, k), h('td', null, num(/** @type {number} */ (v)))))),
          ),
    );
    fill(
      history,
      h('h2', { id: 'history-title' }, 'History'),
      h(
        'ol',
        { class: 'history', id: 'alert-history' },
        alert.history.map((/** @type {any} */ t) =>
          h('li', null, h('strong', null, `${t.from ?? 'new'} → ${t.to}`), ` by ${t.by}, `, h('time', { title: fullTime(t.at) }, when(t.at, now)), t.note ? h('span', { class: 'note' }, ` “${t.note}”`) : null),
        ),
      ),
    );
  };

  const loadRaw = async () => {
    clearTimeout(poll);
    const { raw } = await api(`/api/alerts/${id}/raw`);
    for (const c of charts) c.destroy();
    charts = [];
    const body = h('div', { class: 'charts' });
    fill(recorder, h('h2', { id: 'raw-title' }, 'Flight recorder'), body);
    if (raw.readings.length === 0) {
      fill(body, h('p', { class: 'empty' }, raw.parts.received === 0 ? 'No raw readings from the gateway yet: it sends them once the recorder has the readings from after the alert.' : 'The gateway sent no readings for this span.'));
    } else {
      const now = app.now();
      body.appendChild(
        h('p', { class: 'muted' }, `${plural(raw.readings.length, 'reading')} from ${when(raw.from, now)} to ${when(raw.to, now)}${raw.complete ? '' : ` — ${raw.parts.received} of ${raw.parts.expected} parts so far`}. The dashed line marks the alert.`),
      );
      const xs = raw.readings.map((/** @type {any} */ r) => r.ts / 1000);
      raw.metrics.forEach((/** @type {string} */ metric, /** @type {number} */ i) => {
        const ys = raw.readings.map((/** @type {any} */ r) => r.values[metric] ?? null);
        const chart = timeChart(
          body,
          {
            title: metric,
            describe: (d) => `${metric}: ${plural(d[0]?.length ?? 0, 'raw reading')} around the alert`,
            series: [{ label: metric, color: COLORS[i % COLORS.length] ?? '#1f6feb', points: xs.length < 200 }],
            height: 170,
            syncKey: `raw-${id}`,
          },
          [xs, ys],
        );
        chart.setMarkers([{ at: alert.event.raisedAt, color: SEVERITY_COLORS[/** @type {'critical'} */ (alert.event.severity)] ?? '#cf222e', label: 'raised' }]);
        charts.push(chart);
      });
      const shown = raw.readings.slice(0, TABLE_ROWS);
      body.appendChild(
        h(
          'details',
          { class: 'raw-table' },
          h('summary', null, raw.readings.length > TABLE_ROWS ? `The first ${TABLE_ROWS} readings as a table` : 'The readings as a table'),
          h(
            'div',
            { class: 'scroll' },
            h(
              'table',
              { class: 'compact' },
              h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Time'), raw.metrics.map((/** @type {string} */ m) => h('th', { scope: 'col' }, m)))),
              h('tbody', null, shown.map((/** @type {any} */ r) => h('tr', null, h('td', null, new Date(r.ts).toISOString().slice(11, 23)), raw.metrics.map((/** @type {string} */ m) => h('td', null, num(r.values[m])))))),
            ),
          ),
        ),
      );
    }
    if (!raw.complete) poll = setTimeout(() => void loadRaw().catch(() => {}), RAW_POLL_MS);
  };

  render();
  await loadRaw();

  return {
    /** @param {any} a */
    onAlert(a) {
      if (a.id !== id) return;
      alert = a;
      render();
    },
    resync: async () => {
      alert = (await api(`/api/alerts/${id}`)).alert;
      render();
    },
    dispose() {
      clearTimeout(poll);
      for (const c of charts) c.destroy();
    },
  };
}

/** @param {string} term @param {unknown} value */
const fact = (term, value) => h('div', null, h('dt', null, term), h('dd', null, value));
