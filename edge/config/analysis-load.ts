// Validates `detectors` and `alerts` on their own, the way the gateway config validates them
// embedded: for `tributary eval` configs built in code, and for tests.

import { checkAnalysisConfig, type AnalysisWindows } from './analysis-check.js';
import { AnalysisSchema, type AnalysisConfig } from './analysis-schema.js';
import { schemaFile } from './schema-file.js';

const codes = { read: 'ERR_CONFIG_READ', parse: 'ERR_CONFIG_PARSE', invalid: 'ERR_CONFIG_INVALID' } as const;

/**
 * `{ detectors?, alerts? }` with defaults filled in, checked, frozen. Throws ERR_CONFIG_INVALID
 * listing every problem. With `windows`, detector and rule windows must be among its definitions.
 */
export function validateAnalysisConfig(raw: unknown, windows?: AnalysisWindows): Readonly<AnalysisConfig> {
  return schemaFile<AnalysisConfig>(AnalysisSchema, { codes, semantics: (c) => checkAnalysisConfig(c, windows) }).validate(raw);
}
