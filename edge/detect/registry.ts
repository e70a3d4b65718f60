// The one list of streaming detector kinds: the config's `detectors[].kind` picks from here.

import type { TSchema } from '@sinclair/typebox';
import type { DetectorKind } from './contract.js';
import { levelShift } from './level-shift.js';
import { robustZ } from './robust-z.js';

export const detectorKinds = {
  'robust-z': robustZ,
  'level-shift': levelShift,
} as const satisfies Record<string, DetectorKind<TSchema>>;

export type DetectorKindName = keyof typeof detectorKinds;
