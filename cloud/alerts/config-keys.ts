// A config key the cloud-side alert rules want in the `alerts` section of cloud/config/schema.ts,
// kept here until that schema (owned by the cloud config's author) takes it: spread
// `AlertsConfigKeys` into the section's properties. Until then CloudAlertRules uses the default
// (or its `dataLossQuietMs` option).

import { Type } from '@sinclair/typebox';

export const AlertsConfigKeys = {
  dataLossQuietMs: Type.Integer({
    minimum: 1000,
    default: 900_000,
    description: 'a data-loss alert clears once the gateway\'s loss ledger has not grown for this long (milliseconds, default 900000)',
  }),
};
