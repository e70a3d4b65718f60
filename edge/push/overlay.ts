// A pushed config document read as what it must be: a mapping of the keys it changes (a JSON Merge
// Patch over the config file), in YAML or JSON. The gateway reads it before merging; the cloud
// reads it before storing, so a document no gateway could take is refused at once.

import { parse as parseYaml } from 'yaml';
import { codedError } from '../errors/catalogue.js';
import { LIVE_KEYS } from './live-keys.js';

/** The document as a mapping (empty for an empty document). Throws ERR_PUSH_PARSE or ERR_CONFIG_INVALID. */
export function parseOverlay(document: string, format: 'yaml' | 'json', version: string): Record<string, unknown> {
  let overlay: unknown;
  try {
    overlay = format === 'json' ? JSON.parse(document) : parseYaml(document);
  } catch (err) {
    throw codedError('ERR_PUSH_PARSE', [version, format === 'json' ? 'JSON' : 'YAML', (err as Error).message], { cause: err });
  }
  if (overlay === null || overlay === undefined) return {};
  if (typeof overlay !== 'object' || Array.isArray(overlay)) {
    throw codedError('ERR_CONFIG_INVALID', [1, '  - (root): a pushed config is a mapping of the keys it changes (a JSON Merge Patch over the config file)']);
  }
  return overlay as Record<string, unknown>;
}

/** Throws ERR_PUSH_NEEDS_RESTART when the overlay sets a top-level key a push may not change. */
export function checkLiveKeys(overlay: Record<string, unknown>): void {
  const other = Object.keys(overlay).filter((k) => !(LIVE_KEYS as readonly string[]).includes(k));
  if (other.length > 0) throw codedError('ERR_PUSH_NEEDS_RESTART', [other.join(', '), LIVE_KEYS.join(', ')]);
}
