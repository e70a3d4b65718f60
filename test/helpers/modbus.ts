// A Modbus register entry with the schema's defaults, for tests that list only what matters.

import type { ModbusRegisterConfig } from '../../edge/config/schema.js';

export const register = (r: Partial<ModbusRegisterConfig> & Pick<ModbusRegisterConfig, 'metric' | 'address'>): ModbusRegisterConfig => ({
  function: 3,
  type: 'uint16',
  wordOrder: 'big',
  byteOrder: 'big',
  scale: 1,
  offset: 0,
  ...r,
});
