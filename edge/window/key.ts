// One string per window definition, the same whether it comes from a configured spec or from a
// closed window's WindowRef, so analysis can tell which definition an observation belongs to.

import type { WindowRef } from '../features/summary.js';
import type { WindowSpec } from './contract.js';

/** `tumbling/10000`, `hopping/60000/10000` or `session/30000` (sizes, slides and gaps in ms). */
export function windowKey(w: WindowSpec | WindowRef): string {
  if ('start' in w) return w.kind === 'hopping' ? `hopping/${w.size}/${w.slide ?? w.size}` : `${w.kind}/${w.size}`;
  switch (w.kind) {
    case 'tumbling':
      return `tumbling/${w.sizeMs}`;
    case 'hopping':
      return `hopping/${w.sizeMs}/${w.slideMs}`;
    case 'session':
      return `session/${w.gapMs}`;
  }
}
