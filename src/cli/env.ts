/** The environment variables the CLI reads (the only place besides config/ that looks at process.env). */
export function logLevelFromEnv(): string {
  const level = process.env['CAUSEWAY_LOG_LEVEL'];
  return level && ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level) ? level : 'info';
}

/** The admin listener's bearer token (required when an admin listener is bound beyond loopback). */
export function adminTokenFromEnv(): string | undefined {
  const token = process.env['CAUSEWAY_ADMIN_TOKEN'];
  return token && token.length > 0 ? token : undefined;
}
