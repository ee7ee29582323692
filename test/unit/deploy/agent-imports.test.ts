import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importGraph, packageClosure } from '../../support/import-graph.js';

// dist/test/unit/deploy/ → the repository root.
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DIST = join(ROOT, 'dist', 'src');
const AGENT_ENTRY = join(DIST, 'cli', 'cmd-agent.js');
const MAIN = join(DIST, 'cli', 'main.js');

/** Server-only code the agent must never load: the CA and its signer, the registry, the audit store, SQLite. */
const FORBIDDEN_FILES: RegExp[] = [
  /^server\//,
  /^registry\//,
  /^sqlite\//,
  /^audit\/(sqlite-store|hash-chain|query|canonical)\.js$/,
  /^pki\/(ca|signer|file-signer|rotate-intermediate|standalone-ca|profiles)\.js$/,
  /^auth\/(verify-issuance-token|replay-cache|workload-token|decision-counters)\.js$/,
  /^policy\/(acl|acl-explain)\.js$/,
  /^admin\/dashboard\.js$/,
  /^(quickstart|demo)\//,
];
const FORBIDDEN_PACKAGES = new Set(['better-sqlite3', '@grpc/grpc-js']);

function violations(files: Iterable<string>, packages: Iterable<string>, via: Map<string, string>, base: string): string[] {
  const out: string[] = [];
  const chain = (file: string): string => {
    const steps = [relative(base, file)];
    for (let f = via.get(file); f; f = via.get(f)) steps.unshift(relative(base, f));
    return steps.join(' → ');
  };
  for (const file of files) {
    const rel = relative(base, file);
    if (FORBIDDEN_FILES.some((re) => re.test(rel))) out.push(`server-only module ${chain(file)}`);
  }
  for (const name of packages) if (FORBIDDEN_PACKAGES.has(name)) out.push(`server-only package ${name}`);
  return out;
}

/** Package names between two markers of docs/operations.md: each list item's first `name`, or every `name` when not a list. */
function documented(marker: string): string[] {
  const text = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
  const start = text.indexOf(`<!-- ${marker}:start -->`);
  const end = text.indexOf(`<!-- ${marker}:end -->`);
  assert.ok(start >= 0 && end > start, `docs/operations.md lacks the ${marker} markers`);
  const section = text.slice(start, end);
  const items = [...section.matchAll(/^- `([@\w./-]+)`/gm)].map((m) => m[1]!);
  return items.length > 0 ? items : [...section.matchAll(/`([@\w./-]+)`/g)].map((m) => m[1]!);
}

describe("the agent's import graph (small attack surface)", () => {
  const agent = importGraph(AGENT_ENTRY, { dynamic: true });

  test('from dist/src/cli/cmd-agent.js (static and dynamic imports) reaches no server-only module or package', () => {
    assert.ok(agent.files.size > 20, `suspiciously small graph: ${agent.files.size} modules`);
    assert.deepEqual(violations(agent.files, agent.packages, agent.via, DIST), []);
  });

  test('the CLI front door loads no command statically, and loads the agent command from cmd-agent.js', () => {
    const main = importGraph(MAIN, { dynamic: false });
    assert.deepEqual(violations(main.files, main.packages, main.via, DIST), []);
    assert.equal([...main.files].some((f) => /cmd-(server|agent|ca|identity|audit|quickstart)\.js$/.test(f)), false);
    assert.match(readFileSync(MAIN, 'utf8'), /agent: async \(\) => \(await import\('\.\/cmd-agent\.js'\)\)\.agentCommand/);
  });

  test('the npm packages it loads are the ones docs/operations.md lists, and so are their dependencies', () => {
    assert.deepEqual([...agent.packages].sort(), documented('agent-deps').sort(), 'update the agent-deps list in docs/operations.md');
    const all = packageClosure(agent.packages, ROOT);
    const transitive = [...all].filter((name) => !agent.packages.has(name)).sort();
    assert.deepEqual(transitive, [...new Set(documented('agent-transitive-deps'))].sort(), 'update the agent-transitive-deps list in docs/operations.md');
  });
});

describe('the import-graph walker', () => {
  const work = mkdtempSync(join(tmpdir(), 'causeway-graph-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), text);
  };
  write('server/ca.js', 'export const x = 1;\n');
  write('registry/store.js', "import Database from 'better-sqlite3';\nexport const y = Database;\n");

  // Each way a compiled module can pull in code, leading to a server-only module.
  const cases: { name: string; text: string; dynamic?: boolean; expect: RegExp }[] = [
    { name: 'a static import', text: "import { x } from '../server/ca.js';\n", expect: /server-only module .*server\/ca\.js/ },
    { name: 'a multi-line import', text: "import {\n  x,\n} from '../server/ca.js';\n", expect: /server\/ca\.js/ },
    { name: 'a re-export', text: "export * from '../server/ca.js';\n", expect: /server\/ca\.js/ },
    { name: 'a side-effect import', text: "import '../server/ca.js';\n", expect: /server\/ca\.js/ },
    { name: 'a dynamic import', text: "export const load = () => import('../server/ca.js');\n", dynamic: true, expect: /server\/ca\.js/ },
    { name: 'a package two hops away', text: "import { y } from '../registry/store.js';\n", expect: /server-only package better-sqlite3/ },
  ];
  for (const { name, text, dynamic, expect } of cases) {
    test(`finds ${name}`, () => {
      const entry = join(work, 'entry', `${name.replace(/\W+/g, '-')}.js`);
      write(relative(work, entry), `import './helper.js';\n${text}`);
      write('entry/helper.js', 'export {};\n');
      const graph = importGraph(entry, { dynamic: dynamic ?? false });
      const found = violations(graph.files, graph.packages, graph.via, work);
      assert.ok(found.some((v) => expect.test(v)), `${expect} not in ${JSON.stringify(found)}`);
    });
  }

  test('does not follow a dynamic import when asked for static edges only', () => {
    const entry = join(work, 'entry', 'lazy.js');
    write('entry/lazy.js', "export const load = () => import('../server/ca.js');\n");
    assert.deepEqual(violations(importGraph(entry, { dynamic: false }).files, [], new Map(), work), []);
  });
});
