// The README's reference blocks (commands, config keys, topics, metrics, errors) must be what the
// code generates today: a change to a schema, a catalogue, a metric or a command's help that is
// not followed by `npm run docs` fails here, naming the block and showing the difference.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { blocks, findBlocks } from '../docs/blocks.js';
import { lineDiff } from '../docs/line-diff.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README reference', () => {
  it('has every generated block once, each between its markers', () => {
    const found = findBlocks(README).map((b) => b.name);
    expect([...found].sort()).toEqual(Object.keys(blocks).sort());
  });

  it.each(Object.keys(blocks))('block %s is what `npm run docs` makes from the code', async (name) => {
    const inReadme = findBlocks(README).find((b) => b.name === name);
    expect(inReadme, `README.md has no <!-- generated:${name} --> block`).toBeDefined();
    const fresh = (await blocks[name]!(ROOT)).trimEnd();
    if (inReadme!.body !== fresh) {
      expect.fail(`README.md block "${name}" is out of date: run \`npm run docs\`.\n- README.md\n+ generated from the code\n\n${lineDiff(inReadme!.body, fresh)}`);
    }
  });
});
