import { adminToken } from '../config/secrets.js';

/** The environment variables the CLI reads (the only place besides config/ that looks at process.env). */
export function logLevelFromEnv(): string {
  const level = process.env['CAUSEWAY_LOG_LEVEL'];
  return level && ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level) ? level : 'info';
}

/**
 * The admin listener's bearer token (required when an admin listener is bound beyond loopback), from
 * CAUSEWAY_ADMIN_TOKEN_FILE or CAUSEWAY_ADMIN_TOKEN.
 */
export function adminTokenFromEnv(): string | undefined {
  return adminToken();
}
