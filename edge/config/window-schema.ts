// The schema of one window definition (tumbling, hopping, session), shared by the gateway config,
// detectors, alert rules and model manifests.

import { Type } from '@sinclair/typebox';

export const WindowSpecSchema = Type.Union([
  Type.Object(
    { kind: Type.Literal('tumbling'), sizeMs: Type.Integer({ minimum: 1, description: 'window length (milliseconds)' }) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('hopping'),
      sizeMs: Type.Integer({ minimum: 1, description: 'window length (milliseconds)' }),
      slideMs: Type.Integer({ minimum: 1, description: 'distance between window starts (milliseconds)' }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('session'), gapMs: Type.Integer({ minimum: 1, description: 'silence that ends a session (milliseconds)' }) },
    { additionalProperties: false },
  ),
]);
