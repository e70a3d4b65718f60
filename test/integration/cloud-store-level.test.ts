// The cloud store contract against LevelDB, each case in its own temporary folder.

import { LevelCloudStore } from '../../cloud/store/level/level-store.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { cloudStoreContract } from './cloud-store.contract.js';

const dirs: TempDir[] = [];

cloudStoreContract('LevelDB', {
  setup: async () => ({
    fresh: async () => {
      const dir = tempDir('tributary-cloud-');
      dirs.push(dir);
      return dir.path;
    },
    create: (location, options) => new LevelCloudStore(location, options),
  }),
  teardown: async () => {
    for (const d of dirs.splice(0)) d[Symbol.dispose]();
  },
});
