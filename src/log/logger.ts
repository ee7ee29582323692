import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The debug log: JSON lines on stderr (stdout stays free for command output and audit lines).
 * Secrets are redacted by path wherever they could appear.
 */
export function createLogger(program: string, level = 'info'): Logger {
  return pino(
    {
      name: program,
      level,
      base: { program, pid: process.pid },
      redact: {
        paths: ['privateKey', '*.privateKey', 'token', '*.token', 'key', '*.key', 'authorization', '*.authorization', 'password', '*.password', 'passphrase', '*.passphrase'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ fd: 2, sync: false }),
  );
}
