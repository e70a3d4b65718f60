// The README's metric reference: every metric the code registers (found by metric-source.ts), in
// three tables by where its code lives: the cloud's (cloud/), the outbox's and uplink's
// (edge/outbox/, edge/uplink/), and the gateway's (the rest). Sorted by name.

import { code, prose, table } from './markdown.js';
import { scanTree, type MetricDef, type UnreadCall } from './metric-source.js';

export type MetricGroup = 'gateway' | 'uplink' | 'cloud';

/**
 * Calls the scan cannot read by design: helpers that forward a name they were given. Their callers
 * are read instead (classCounter is one of the scanner's calls).
 */
export const FORWARDERS: readonly { file: string; call: string }[] = [{ file: 'edge/outbox/metrics.ts', call: '.counter(name' }];

export function groupOf(m: Pick<MetricDef, 'file'>): MetricGroup {
  if (m.file.startsWith('cloud/')) return 'cloud';
  if (m.file.startsWith('edge/outbox/') || m.file.startsWith('edge/uplink/')) return 'uplink';
  return 'gateway';
}

/**
 * Every metric once, sorted by name. Throws on a call the scan cannot read, and on a name
 * registered twice with a different type, help text or labels (the README could show only one).
 */
export function metricCatalogue(root: string): MetricDef[] {
  const scan = scanTree(root);
  const unread = scan.unread.filter((u) => !FORWARDERS.some((f) => f.file === u.file && f.call === u.call));
  if (unread.length) throw new TypeError(`metric registrations the README generator cannot read:\n${unread.map(describe).join('\n')}`);
  const byName = new Map<string, MetricDef>();
  for (const m of scan.metrics) {
    const seen = byName.get(m.name);
    if (!seen) byName.set(m.name, m);
    else if (seen.type !== m.type || seen.help !== m.help || seen.labels.join() !== m.labels.join()) {
      throw new TypeError(`metric ${m.name} is registered differently in ${seen.file}:${seen.line} and ${m.file}:${m.line}`);
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function metricsMarkdown(metrics: readonly MetricDef[], group: MetricGroup): string {
  const rows = metrics.filter((m) => groupOf(m) === group).map((m) => [code(m.name), m.type, m.labels.map(code).join(', '), prose(m.help)]);
  return table(['metric', 'type', 'labels', 'help'], rows);
}

function describe(u: UnreadCall): string {
  return `  ${u.file}:${u.line}: ${u.call}: ${u.why}`;
}
