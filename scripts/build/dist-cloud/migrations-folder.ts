/**
 * cloud/src/db/migrations-folder.ts as the built cloud has it (scripts/build/cloud.ts puts this module
 * in its place): the SQL migrations are copied beside the bundle, into its `migrations/` folder.
 */
import { fileURLToPath } from 'node:url';

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));
