// Markdown for the README's generated reference: table cells that survive GitHub's renderer.

/** Inline code, with a fence longer than any run of backticks inside; `|` escaped for tables. */
export function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

/**
 * Prose for a table cell. Outside code spans, `<name>` would be taken for an HTML tag and vanish,
 * and `*` may open emphasis; inside them both are literal. Newlines would end the row.
 */
export function prose(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .split(/(`+[^`]*?`+)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\*/g, '\\*')))
    .join('')
    .replace(/\|/g, '\\|');
}

/** A GitHub table; cells are already escaped (see code and prose). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
