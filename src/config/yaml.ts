import { parseDocument } from 'yaml';
import type { YAMLError } from 'yaml';
import { ConfigError } from './errors.js';

/** Aliases a document may expand, against "billion laughs" files. */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses one YAML document into plain data (an empty document is `{}`). Errors, and warnings such
 * as unknown tags, are `ERR_CONFIG_YAML` with the line and column of the first one.
 */
export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) throw new ConfigError('ERR_CONFIG_YAML', source, describeYamlError(problem), { cause: problem });
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (error) {
    throw new ConfigError('ERR_CONFIG_YAML', source, `invalid YAML: ${(error as Error).message}`, { cause: error });
  }
}

function describeYamlError(error: YAMLError): string {
  const what = (/^([\s\S]*?) at line \d+, column \d+/.exec(error.message)?.[1] ?? error.message.split('\n')[0] ?? '').trim();
  const pos = error.linePos?.[0];
  return pos === undefined ? `invalid YAML: ${what}` : `invalid YAML at line ${pos.line} column ${pos.col}: ${what}`;
}
