// The README's error reference: every code of the catalogue with its retryability and message,
// in catalogue order, grouped under the comment that opens each group in catalogue.ts.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogue, type ErrorCode } from '../../edge/errors/catalogue.js';
import { code, prose, table } from './markdown.js';

export interface ErrorGroup {
  /** The comment above the group's first code, joined into one line ('' when there is none). */
  readonly heading: string;
  readonly codes: readonly ErrorCode[];
}

/**
 * The catalogue's codes grouped by the comments in its source. Throws when the source and the
 * catalogue object disagree on the codes (a code the scan missed would be missing from the README).
 */
export function errorGroups(root: string): ErrorGroup[] {
  const source = readFileSync(join(root, 'edge/errors/catalogue.ts'), 'utf8');
  const body = source.slice(source.indexOf('export const catalogue'), source.indexOf('} as const satisfies'));
  const groups: { heading: string; codes: ErrorCode[] }[] = [];
  let comment: string[] = [];
  for (const line of body.split('\n').slice(1)) {
    const text = line.trim();
    const note = /^\/\/\s?(.*)$/.exec(text);
    if (note) {
      comment.push(note[1]!);
      continue;
    }
    const entry = /^(ERR_[A-Z0-9_]+):/.exec(text);
    if (!entry) {
      if (text !== '') comment = [];
      continue;
    }
    if (comment.length > 0 || groups.length === 0) groups.push({ heading: comment.join(' ').trim(), codes: [] });
    comment = [];
    groups.at(-1)!.codes.push(entry[1] as ErrorCode);
  }
  const scanned = groups.flatMap((g) => g.codes);
  const known = Object.keys(catalogue);
  const missed = known.filter((c) => !scanned.includes(c as ErrorCode));
  const extra = scanned.filter((c) => !known.includes(c));
  if (missed.length || extra.length || scanned.length !== known.length) {
    throw new TypeError(`edge/errors/catalogue.ts: scanned codes differ from the catalogue (missed ${missed.join(', ') || 'none'}; unknown ${extra.join(', ') || 'none'})`);
  }
  return groups;
}

/** One table per group, each under its comment. */
export function errorsMarkdown(root: string): string {
  return errorGroups(root)
    .map((g) => {
      const rows = g.codes.map((c) => {
        const spec = catalogue[c];
        return [code(c), spec.retryable ? 'yes' : 'no', prose(spec.message.replace(/\n/g, ' ⏎ '))];
      });
      return `${g.heading ? `${heading(g.heading)}\n\n` : ''}${table(['code', 'retryable', 'message'], rows)}`;
    })
    .join('\n\n');
}

/** The comment with its subject in bold: `**Serial lines and Modbus RTU** (...)`. */
function heading(text: string): string {
  const [, subject = '', rest = ''] = /^([^(:.`]*)([\s\S]*)$/.exec(text) ?? [];
  return subject.trim() ? `**${prose(subject.trim())}**${/\s$/.test(subject) ? ' ' : ''}${prose(rest)}` : prose(text);
}
