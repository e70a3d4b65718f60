// Runs the simulator CLI (`tributary devices`) in its own process against a scenario written for
// the test, as a user would, and reports how it exited.

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_MAIN = fileURLToPath(new URL('../../dist/edge/cli/main.js', import.meta.url));

/** Write `scenario` (as JSON, which is YAML) into `dir` and run `tributary devices --scenario` with `args`. */
export function runScenario(dir: string, scenario: unknown, args: readonly string[], timeoutMs: number): Promise<{ code: number; stderr: string }> {
  const path = join(dir, 'scenario.yaml');
  writeFileSync(path, JSON.stringify(scenario));
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_MAIN, 'devices', '--scenario', path, ...args], { timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 }, (err, _stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}
