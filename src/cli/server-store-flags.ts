import { loadServerConfig, type ServerConfig } from '../config/server.js';
import { resolveStore, type ResolvedStore } from '../config/store.js';
import { UsageError } from './usage.js';

/** The parseArgs options behind {@link ServerStoreFlags}, spread into each command's own. */
export const SERVER_STORE_OPTIONS = {
  'data-dir': { type: 'string' },
  config: { type: 'string' },
  store: { type: 'string' },
  'store-password-file': { type: 'string' },
} as const;

/** The flags every admin command that reaches the server's stores takes. */
export interface ServerStoreFlags {
  config?: string | undefined;
  'data-dir'?: string | undefined;
  store?: string | undefined;
  'store-password-file'?: string | undefined;
}

/**
 * The server config (from `--config`, when given) and the store the servers read, from the flags, the
 * environment (`CAUSEWAY_STORE_URL`, `CAUSEWAY_STORE_PASSWORD_FILE`) and that config, in that order.
 * With PostgreSQL replicas a command must use it too: a SQLite file in a data directory would hold
 * changes no server sees.
 */
export function serverStoreFromFlags(values: ServerStoreFlags, command: string): { config: ServerConfig | undefined; store: ResolvedStore } {
  if (values['data-dir'] !== undefined && values.config !== undefined) throw new UsageError('give --data-dir or --config, not both', command);
  const config = values.config !== undefined ? loadServerConfig(values.config) : undefined;
  const store = resolveStore({
    flag: values.store,
    store: config?.store,
    passwordFlag: values['store-password-file'],
    passwordFile: config?.storePasswordFile,
  });
  return { config, store };
}
