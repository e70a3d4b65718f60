// `npm run docs`: rewrites the README's generated reference blocks (commands, config keys, topics,
// metrics, errors) from the code, in place. `npm run docs -- --check` writes nothing and exits 1
// when the README differs (test/unit/readme-reference.test.ts checks the same in `npm test`).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBlocks, generateAll, replaceBlocks } from './blocks.js';

/** The nearest folder above this module holding package.json: the project, from test/docs or dist/test/docs. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new TypeError('no package.json above test/docs');
    dir = up;
  }
  return dir;
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const root = projectRoot();
  const path = join(root, 'README.md');
  const before = readFileSync(path, 'utf8');
  const fresh = await generateAll(root);
  const after = replaceBlocks(before, fresh);
  const changed = findBlocks(before).filter((b) => b.body !== fresh.get(b.name)).map((b) => b.name);
  if (check) {
    process.stdout.write(changed.length ? `README.md is out of date: ${changed.join(', ')} (run npm run docs)\n` : 'README.md reference is up to date\n');
    return changed.length ? 1 : 0;
  }
  if (after !== before) writeFileSync(path, after);
  const what = changed.length ? `regenerated ${changed.join(', ')}` : after !== before ? 'blank lines around the blocks put back' : 'reference already up to date';
  process.stdout.write(`README.md: ${what}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
