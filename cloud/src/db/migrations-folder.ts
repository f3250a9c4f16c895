/** Where the committed migrations live: the repository's top-level `migrations/` folder. */
import { fileURLToPath } from 'node:url';

export const migrationsFolder = fileURLToPath(new URL('../../../migrations', import.meta.url));
