// The generated blocks of the README: each name, what it is made from, and how the blocks are
// found and replaced between their markers, `<!-- generated:NAME -->` … `<!-- /generated:NAME -->`.

import { CloudConfigSchema } from '../../cloud/config/schema.js';
import { EdgeConfigSchema } from '../../edge/config/schema.js';
import { ModelManifestSchema } from '../../edge/model/manifest.js';
import { commandsMarkdown } from './commands.js';
import { configRows, configTable, type JsonSchema } from './config-keys.js';
import { errorsMarkdown } from './errors.js';
import { metricCatalogue, metricsMarkdown } from './metrics.js';
import { topicsMarkdown } from './topics.js';

/** The gateway's store-and-forward keys, documented beside the uplink rather than with the rest. */
const UPLINK_KEYS = ['outbox', 'uplink', 'flightRecorder'];

/** Block name → its markdown. `root` is the project folder (for the code read as source). */
export const blocks: Readonly<Record<string, (root: string) => string | Promise<string>>> = {
  commands: () => commandsMarkdown(),
  'edge-config': () => configTable(configRows(EdgeConfigSchema as JsonSchema, { except: UPLINK_KEYS })),
  'uplink-config': () => configTable(configRows(EdgeConfigSchema as JsonSchema, { only: UPLINK_KEYS })),
  'cloud-config': () => configTable(configRows(CloudConfigSchema as JsonSchema)),
  'model-manifest': () => configTable(configRows(ModelManifestSchema as JsonSchema)),
  topics: () => topicsMarkdown(),
  'gateway-metrics': (root) => metricsMarkdown(metricCatalogue(root), 'gateway'),
  'uplink-metrics': (root) => metricsMarkdown(metricCatalogue(root), 'uplink'),
  'cloud-metrics': (root) => metricsMarkdown(metricCatalogue(root), 'cloud'),
  errors: (root) => errorsMarkdown(root),
};

export interface Block {
  readonly name: string;
  /** What sits between the markers now, without the blank lines next to them. */
  readonly body: string;
  /** Where the opening marker ends and the closing one starts. */
  readonly start: number;
  readonly end: number;
}

const OPEN = /<!-- generated:([a-z0-9-]+) -->/g;

/** The blocks of a document, in order. Throws on an unclosed, nested or repeated block, or an unknown name. */
export function findBlocks(doc: string): Block[] {
  const found: Block[] = [];
  for (const m of doc.matchAll(OPEN)) {
    const name = m[1]!;
    if (!(name in blocks)) throw new TypeError(`README: unknown generated block "${name}"; known: ${Object.keys(blocks).join(', ')}`);
    if (found.some((b) => b.end > m.index)) throw new TypeError(`README: block "${name}" starts inside block "${found.at(-1)!.name}"`);
    if (found.some((b) => b.name === name)) throw new TypeError(`README: block "${name}" appears twice`);
    const start = m.index + m[0].length;
    const end = doc.indexOf(`<!-- /generated:${name} -->`, start);
    if (end < 0) throw new TypeError(`README: block "${name}" has no closing marker <!-- /generated:${name} -->`);
    found.push({ name, body: doc.slice(start, end).replace(/^\n+/, '').replace(/\n+$/, ''), start, end });
  }
  return found;
}

/** Every block's fresh text, by name. */
export async function generateAll(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [name, make] of Object.entries(blocks)) out.set(name, (await make(root)).trimEnd());
  return out;
}

/** The document with every block's body replaced by `fresh`. Throws when a known block has no markers. */
export function replaceBlocks(doc: string, fresh: ReadonlyMap<string, string>): string {
  const present = findBlocks(doc);
  const missing = [...fresh.keys()].filter((name) => !present.some((b) => b.name === name));
  if (missing.length) throw new TypeError(`README: no markers for ${missing.map((n) => `<!-- generated:${n} -->`).join(', ')}`);
  let out = '';
  let at = 0;
  for (const b of present) {
    const body = fresh.get(b.name)!;
    // Blank lines around the body: a table right after an HTML comment, or right before one, may not render.
    out += `${doc.slice(at, b.start)}\n${body === '' ? '' : `\n${body}\n\n`}`;
    at = b.end;
  }
  return out + doc.slice(at);
}
