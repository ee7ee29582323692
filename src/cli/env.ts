/** The environment variables the CLI reads (the only place besides config/ that looks at process.env). */
export function logLevelFromEnv(): string {
  const level = process.env['CAUSEWAY_LOG_LEVEL'];
  return level && ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level) ? level : 'info';
}
