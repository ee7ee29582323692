import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './free-port.js';

/** One server replica's config file and the gRPC port it names. */
export interface ReplicaConfig<Id extends string = string> {
  id: Id;
  port: number;
  config: string;
}

/**
 * Writes `DIR/ID.yaml` for each replica id: a free loopback port, an admin listener on port 0, the
 * shared `dataDir` (its CA), the given ACL, `replica: {id, count}`, and any `extra` keys (a shared store).
 */
export async function writeReplicaConfigs<Id extends string>(
  dir: string,
  ids: readonly Id[],
  shared: { dataDir: string; acl: unknown[]; extra?: Record<string, unknown> },
): Promise<ReplicaConfig<Id>[]> {
  const out: ReplicaConfig<Id>[] = [];
  for (const id of ids) {
    const port = await freePort();
    const config = join(dir, `${id}.yaml`);
    writeFileSync(
      config,
      stringify({
        listen: `127.0.0.1:${port}`,
        admin: '127.0.0.1:0',
        dataDir: shared.dataDir,
        serverNames: ['localhost', '127.0.0.1'],
        acl: shared.acl,
        limits: { drainTimeout: '1s' },
        replica: { id, count: ids.length },
        ...shared.extra,
      }),
    );
    out.push({ id, port, config });
  }
  return out;
}
