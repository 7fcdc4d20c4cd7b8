/** Applies the SQL migrations to DATABASE_URL (or the embedded PGlite) and exits. */
import { createDatabase } from './platform/db/client';
import { boot } from './process';

const { config, log } = boot();
const database = await createDatabase(config.database, log);
await database.migrate();
await database.close();
log.info({ database: database.kind }, 'migrations applied');
