// The benchmark suite's markdown report: one table per benchmark, a row per field and a column per
// result row (e.g. per offered rate), so a benchmark with twenty fields still reads down the page.

export interface ReportContext {
  readonly started: Date;
  readonly command: string;
  readonly machine: Readonly<Record<string, unknown>>;
}

/** Markdown for JSON lines `{ bench, ...fields }`, in the order given. */
export function markdownReport(lines: ReadonlyArray<Record<string, unknown>>, ctx: ReportContext): string {
  const out = [
    `# Benchmarks, ${ctx.started.toISOString()}`,
    '',
    `\`${ctx.command}\` on ${Object.entries(ctx.machine).map(([k, v]) => `${k} ${String(v)}`).join(', ')}.`,
    '',
  ];
  const byBench = new Map<string, Array<Record<string, unknown>>>();
  for (const line of lines) {
    const name = String(line.bench);
    byBench.set(name, [...(byBench.get(name) ?? []), line]);
  }
  for (const [name, rows] of byBench) {
    const fields = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((f) => f !== 'bench' && f !== 'machine');
    out.push(`## ${name}`, '');
    out.push(`| field | ${rows.map((_, i) => (rows.length === 1 ? 'value' : `#${i + 1}`)).join(' | ')} |`);
    out.push(`| --- | ${rows.map(() => '---:').join(' | ')} |`);
    for (const f of fields) out.push(`| ${f} | ${rows.map((r) => cell(r[f])).join(' | ')} |`);
    out.push('');
  }
  return out.join('\n');
}

function cell(v: unknown): string {
  if (v === undefined) return '';
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}
