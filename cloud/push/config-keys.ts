// Config keys of config and model push: the cloud config's `push` section (cloud/config/schema.ts).

import { Type, type Static } from '@sinclair/typebox';

export const PushConfigSchema = Type.Object(
  {
    resendAfterMs: Type.Integer({
      minimum: 1000,
      default: 30_000,
      description:
        'a gateway that reports running something other than its desired config or model, and has not refused it, is sent it again at most this often, on its next status report (milliseconds, default 30000)',
    }),
    maxModelBytes: Type.Integer({ minimum: 1024, maximum: 6 << 20, default: 4 << 20, description: 'largest ONNX model that may be pushed (bytes, default 4194304; at most 6 MiB, so its message fits a gateway\'s 8 MiB limit)' }),
  },
  { additionalProperties: false, default: {}, description: 'config and model push to the gateways' },
);

export type PushConfig = Static<typeof PushConfigSchema>;

export const PUSH_DEFAULTS: PushConfig = { resendAfterMs: 30_000, maxModelBytes: 4 << 20 };
