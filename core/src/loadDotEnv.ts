import { existsSync } from 'node:fs';

import { config } from 'dotenv';

/**
 * Reads `.env` from the working directory into the environment, as `.env.example` promises; variables already set
 * win. Called once by each process entry point, before its typed config parses the environment.
 */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) config({ path: file, quiet: true, override: false });
}
