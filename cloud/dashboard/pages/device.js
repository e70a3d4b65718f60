// One device: where it is and its health, then charts of its window summaries over a chosen range
// — per metric, the window means inside their min–max band, and the model's anomaly score against
// its threshold — with dashed markers where alerts were raised. New summaries arrive on the live
// stream (this page asks the stream for this device's) and extend the charts without a reload.

import { api, query } from '../lib/api.js';
import { alertTitle, severityBadge, stateBadge } from '../lib/alert-actions.js';
import { COLORS, SEVERITY_COLORS, timeChart } from '../lib/charts.js';
import { agoEl, badge, fill, h, num, plural, when } from '../lib/dom.js';

const RANGES = /** @type {const} */ ({ '15m': 15 * 60_000, '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 24 * 3_600_000 });
/** Summaries one page load asks for at most (the API's own limit). */
const LIMIT = 10_000;

/**
 * Summaries by metric, one window shape per metric (the one with most windows: a device may have
 * several window configs per metric), and the model scores by window.
 * @param {Iterable<any>} summaries
 */
export function chartData(summaries) {
  /** @type {Map<string, Map<string, any[]>>} metric → shape → summaries */
  const byMetric = new Map();
  /** @type {Map<string, { x: number, value: number, threshold: number }>} */
  const scores = new Map();
  for (const s of summaries) {
    const shape = `${s.window.kind}/${s.window.size}`;
    let shapes = byMetric.get(s.metric);
    if (!shapes) byMetric.set(s.metric, (shapes = new Map()));
    shapes.get(shape)?.push(s) ?? shapes.set(shape, [s]);
    if (s.score) scores.set(`${shape}/${s.window.start}`, { x: s.window.end / 1000, value: s.score.value, threshold: s.score.threshold });
  }
  const metrics = [...byMetric.keys()].sort().map((metric) => {
    const shapes = [...(byMetric.get(metric)?.entries() ?? [])].sort((a, b) => b[1].length - a[1].length);
    const [shape, list] = shapes[0] ?? ['', []];
    const rows = [...list].sort((a, b) => a.window.end - b.window.end);
    return {
      metric,
      shape,
      data: [rows.map((s) => s.window.end / 1000), rows.map((s) => s.features.mean), rows.map((s) => s.features.min), rows.map((s) => s.features.max)],
    };
  });
  const sc = [...scores.values()].sort((a, b) => a.x - b.x);
  return { metrics, score: sc.length === 0 ? null : [sc.map((p) => p.x), sc.map((p) => p.value), sc.map((p) => p.threshold)] };
}

/**
 * @param {HTMLElement} main
 * @param {import('../app.js').App} app
 * @param {string} id
 * @param {URLSearchParams} params
 */
export async function show(main, app, id, params) {
  const range = /** @type {keyof typeof RANGES} */ (Object.hasOwn(RANGES, params.get('range') ?? '') ? params.get('range') : '1h');
  const span = RANGES[range];
  document.title = `${id} · Tributary`;
  // Follow this device's summaries before loading, so none falls between the load and the stream.
  app.live.follow([id]);
  const from = app.now() - span;
  const [deviceFound, found, alertsFound] = await Promise.all([
    api(`/api/devices/${encodeURIComponent(id)}`),
    api(`/api/summaries${query({ device: id, from: Math.floor(from), limit: LIMIT })}`),
    api(`/api/alerts${query({ device: id, from: Math.floor(from - span), limit: 1000 })}`),
  ]);
  let device = deviceFound.device;
  /** @type {Map<string, any>} */
  const summaries = new Map(found.summaries.map((/** @type {any} */ s) => [s.id, s]));
  /** @type {Map<string, any>} */
  const alerts = new Map(alertsFound.alerts.map((/** @type {any} */ a) => [a.id, a]));

  const info = h('div');
  const chartsBox = h('div', { class: 'charts', id: 'device-charts' });
  const alertBox = h('section', { 'aria-labelledby': 'device-alerts-title' });
  const picker = h(
    'div',
    { class: 'range', role: 'group', 'aria-label': 'Time range' },
    Object.keys(RANGES).map((r) => h('a', { href: `#/devices/${encodeURIComponent(id)}?range=${r}`, class: 'range-option', 'aria-current': r === range ? 'true' : null }, r)),
  );
  fill(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/fleet' }, 'Fleet'), ' / ', device.gateway),
    h('h1', null, id),
    info,
    h('section', { 'aria-labelledby': 'charts-title' }, h('div', { class: 'section-head' }, h('h2', { id: 'charts-title' }, 'Window summaries'), picker), found.truncated ? h('p', { class: 'note' }, `Showing the first ${LIMIT.toLocaleString()} summaries of this range: choose a shorter one to see the newest.`) : null, chartsBox),
    alertBox,
  );

  const renderInfo = () => {
    const now = app.now();
    fill(
      info,
      h(
        'dl',
        { class: 'facts' },
        h('div', null, h('dt', null, 'Status'), h('dd', null, device.silent ? badge('bad', 'Silent') : badge('ok', 'Sending'))),
        h('div', null, h('dt', null, 'Last summary'), h('dd', null, agoEl(device.lastSeen, now))),
        h('div', null, h('dt', null, 'Gateway'), h('dd', null, device.gateway)),
        h('div', null, h('dt', null, 'Site / line'), h('dd', null, `${device.site} / ${device.line}`)),
      ),
    );
  };

  /** @type {Map<string, ReturnType<typeof timeChart>>} */
  const charts = new Map();
  const markers = () =>
    [...alerts.values()].map((a) => ({ at: a.event.raisedAt, color: SEVERITY_COLORS[/** @type {'critical'} */ (a.event.severity)] ?? '#cf222e', label: alertTitle(a) }));

  const renderCharts = () => {
    const cut = app.now() - span;
    for (const [key, s] of summaries) if (s.window.end < cut) summaries.delete(key);
    const { metrics, score } = chartData(summaries.values());
    const wanted = new Set([...(score ? ['score'] : []), ...metrics.map((m) => m.metric)]);
    if ([...charts.keys()].join() !== [...wanted].join()) {
      for (const c of charts.values()) c.destroy();
      charts.clear();
      fill(chartsBox);
    }
    if (wanted.size === 0) {
      fill(chartsBox, h('p', { class: 'empty' }, `No summaries from ${id} in the last ${range}.`));
      return;
    }
    const upsert = (/** @type {string} */ key, /** @type {Parameters<typeof timeChart>[1]} */ spec, /** @type {(number | null)[][]} */ data) => {
      const held = charts.get(key);
      if (held) held.setData(data);
      else {
        const chart = timeChart(chartsBox, spec, data);
        chart.figure.dataset.chart = key;
        charts.set(key, chart);
      }
      charts.get(key)?.setMarkers(markers());
    };
    if (score) {
      upsert(
        'score',
        {
          title: 'Anomaly score',
          describe: (d) => `Anomaly score over the last ${range}: ${plural(d[0]?.length ?? 0, 'window')}; latest ${num(last(d[1]))} against threshold ${num(last(d[2]))}`,
          series: [
            { label: 'score', color: '#8250df', width: 2, points: true },
            { label: 'threshold', color: '#cf222e', dash: [6, 4] },
          ],
          syncKey: `device-${id}`,
        },
        score,
      );
    }
    metrics.forEach((m, i) => {
      const color = COLORS[i % COLORS.length] ?? '#1f6feb';
      upsert(
        m.metric,
        {
          title: `${m.metric} (${shapeText(m.shape)})`,
          describe: (d) => `${m.metric} window means over the last ${range}: ${plural(d[0]?.length ?? 0, 'window')}; latest mean ${num(last(d[1]))} (min ${num(last(d[2]))}, max ${num(last(d[3]))})`,
          series: [
            { label: 'mean', color, width: 2 },
            { label: 'min', color: `${color}88`, width: 1 },
            { label: 'max', color: `${color}88`, width: 1 },
          ],
          band: [3, 2],
          bandFill: `${color}22`,
          syncKey: `device-${id}`,
        },
        m.data,
      );
    });
  };

  const renderAlerts = () => {
    const now = app.now();
    const list = [...alerts.values()].sort((a, b) => b.event.raisedAt - a.event.raisedAt);
    fill(
      alertBox,
      h('h2', { id: 'device-alerts-title' }, 'Alerts'),
      list.length === 0
        ? h('p', { class: 'empty' }, `No alert for ${id} in this range.`)
        : h(
            'ul',
            { class: 'alert-items' },
            list.map((a) => h('li', { 'data-alert': a.id }, severityBadge(a.event.severity), ' ', stateBadge(a.state), ' ', h('a', { href: `#/alerts/${a.id}` }, a.event.rule), ` — ${a.event.message} `, h('span', { class: 'muted' }, when(a.event.raisedAt, now)))),
          ),
    );
  };

  renderInfo();
  renderCharts();
  renderAlerts();
  const ticker = setInterval(renderInfo, 10_000);

  return {
    /** @param {any[]} batch */
    onSummaries(batch) {
      let changed = false;
      for (const s of batch) {
        if (s.device !== id) continue;
        const held = summaries.get(s.id);
        if (held && held.revision > s.revision) continue;
        if (s.retracted) summaries.delete(s.id);
        else summaries.set(s.id, s);
        device = { ...device, lastSeen: Math.max(device.lastSeen, s.receivedAt ?? device.lastSeen), silent: false };
        changed = true;
      }
      if (changed) {
        renderCharts();
        renderInfo();
      }
    },
    /** @param {any} a */
    onAlert(a) {
      if (a.event.device !== id) return;
      alerts.set(a.id, a);
      renderAlerts();
      for (const c of charts.values()) c.setMarkers(markers());
    },
    resync: () => app.navigate(location.hash),
    dispose() {
      clearInterval(ticker);
      for (const c of charts.values()) c.destroy();
    },
  };
}

/** `tumbling/10000` → `10 s tumbling windows`. @param {string} shape */
function shapeText(shape) {
  const [kind, size] = shape.split('/');
  const ms = Number(size);
  const text = ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 60_000 === 0 ? `${ms / 60_000} min` : ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
  return kind === 'session' ? `sessions, ${text} gap` : `${text} ${kind} windows`;
}

/** @param {(number | null)[] | undefined} list */
const last = (list) => (list && list.length > 0 ? list[list.length - 1] : null);
