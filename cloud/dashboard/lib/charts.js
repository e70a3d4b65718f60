// Time-series charts with uPlot (served from node_modules at /vendor/): a chart per metric with
// the window means as a line inside a min–max band, the anomaly score with its threshold, raw
// readings, and vertical markers where alerts were raised. Charts follow their container's width,
// share one cursor per page (hovering one shows the same instant on the others), and their legend
// shows the newest values whenever the cursor is not on a chart, so it always holds real numbers.

import uPlot from '/vendor/uplot.esm.js';
import { h, num } from './dom.js';

export const COLORS = ['#1f6feb', '#b35900', '#1a7f37', '#8250df', '#cf222e', '#0a7d8c'];
export const SEVERITY_COLORS = { critical: '#cf222e', warning: '#9a6700', info: '#0969da' };

/**
 * @typedef {{ at: number, color: string, label: string }} Marker  at: ms since the epoch
 * @typedef {{ label: string, color: string, width?: number, dash?: number[], fill?: string, points?: boolean }} SeriesSpec
 * @typedef {{
 *   title: string,
 *   describe: (data: (number | null)[][]) => string,
 *   series: SeriesSpec[],
 *   band?: [number, number],
 *   bandFill?: string,
 *   height?: number,
 *   syncKey?: string,
 *   yLabel?: string,
 * }} ChartSpec
 */

/**
 * A chart in a <figure> appended to `parent`. `data` is [x (s), ...series]: uPlot's columns.
 * @param {HTMLElement} parent
 * @param {ChartSpec} spec
 * @param {(number | null)[][]} data
 */
export function timeChart(parent, spec, data) {
  const plot = h('div', { class: 'chart-plot', role: 'img', 'aria-label': spec.describe(data) });
  const figure = h('figure', { class: 'chart' }, h('figcaption', null, spec.title), plot);
  parent.appendChild(figure);
  /** @type {Marker[]} */
  let markers = [];
  let current = data;

  const opts = {
    width: widthOf(plot),
    height: spec.height ?? 200,
    scales: { x: { time: true } },
    cursor: spec.syncKey ? { sync: { key: spec.syncKey } } : {},
    legend: { live: true },
    series: [
      { label: 'time', value: (/** @type {unknown} */ _u, /** @type {number | null} */ v) => (v === null ? '—' : new Date(v * 1000).toLocaleTimeString()) },
      ...spec.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: s.width ?? 1.5,
        ...(s.dash ? { dash: s.dash } : {}),
        ...(s.fill ? { fill: s.fill } : {}),
        points: { show: s.points ?? false, size: 5 },
        value: (/** @type {unknown} */ _u, /** @type {number | null} */ v) => num(v),
      })),
    ],
    bands: spec.band ? [{ series: spec.band, fill: spec.bandFill ?? 'rgba(31, 111, 235, 0.15)' }] : [],
    axes: [{ stroke: '#57606a', grid: { stroke: '#eaeef2' }, space: 70 }, { stroke: '#57606a', grid: { stroke: '#eaeef2' }, size: 56, ...(spec.yLabel ? { label: spec.yLabel } : {}) }],
    hooks: {
      draw: [(/** @type {any} */ u) => drawMarkers(u, markers)],
      setCursor: [(/** @type {any} */ u) => u.cursor.idx == null && showNewest(u)],
    },
  };
  const u = new uPlot(opts, /** @type {uPlot.AlignedData} */ (data), plot);
  showNewest(u);
  const resize = new ResizeObserver(() => {
    const width = widthOf(plot);
    if (width !== u.width) u.setSize({ width, height: u.height });
  });
  resize.observe(plot);

  return {
    figure,
    uplot: u,
    /** @param {(number | null)[][]} next */
    setData(next) {
      current = next;
      u.setData(/** @type {uPlot.AlignedData} */ (next));
      plot.setAttribute('aria-label', spec.describe(next));
      showNewest(u);
    },
    /** @param {Marker[]} next */
    setMarkers(next) {
      markers = next;
      u.redraw(false, false);
    },
    get data() {
      return current;
    },
    destroy() {
      resize.disconnect();
      u.destroy();
      figure.remove();
    },
  };
}

/** @param {HTMLElement} el */
const widthOf = (el) => Math.max(240, Math.floor(el.clientWidth || el.parentElement?.clientWidth || 600));

/** Legend values at the newest point (uPlot would show dashes while the cursor is elsewhere). @param {any} u */
function showNewest(u) {
  const n = u.data[0]?.length ?? 0;
  if (n > 0) u.setLegend({ idx: n - 1 }, false);
}

/** Dashed vertical lines at the markers' instants, with a small flag on top. @param {any} u @param {Marker[]} markers */
function drawMarkers(u, markers) {
  const { ctx, bbox } = u;
  const [min, max] = [u.scales.x.min, u.scales.x.max];
  ctx.save();
  for (const m of markers) {
    const x = m.at / 1000;
    if (min === undefined || x < min || x > max) continue;
    const px = Math.round(u.valToPos(x, 'x', true));
    ctx.strokeStyle = m.color;
    ctx.fillStyle = m.color;
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.setLineDash([5 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(px, bbox.top);
    ctx.lineTo(px, bbox.top + bbox.height);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(px, bbox.top);
    ctx.lineTo(px + 8 * devicePixelRatio, bbox.top + 4 * devicePixelRatio);
    ctx.lineTo(px, bbox.top + 8 * devicePixelRatio);
    ctx.fill();
  }
  ctx.restore();
}
