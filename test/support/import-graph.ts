import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';

/** Modules and npm packages a compiled module can load. */
export interface ImportGraph {
  /** Absolute paths of the project's own modules reached. */
  readonly files: Set<string>;
  /** npm package names imported by them (not node builtins). */
  readonly packages: Set<string>;
  /** For each file reached, the file that first imported it (to explain a path). */
  readonly via: Map<string, string>;
}

// `import … from 'x'`, `export … from 'x'`, `import 'x'` and `import('x')` with a literal specifier.
// Over-matching (a specifier inside a comment) only makes the graph larger, never hides an edge.
const STATIC = /(?:^|[;\n}])\s*(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?['"]([^'"\n]+)['"]/g;
const DYNAMIC = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;
const BUILTINS = new Set(builtinModules);

/** The npm package a bare specifier names: `yaml`, `@scope/name/sub` → `@scope/name`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * Walks the compiled ES modules from `entry`: static imports always, `import()` too when `dynamic`
 * (what a module may load later). Relative specifiers are followed; bare ones are recorded as packages.
 */
export function importGraph(entry: string, options: { dynamic: boolean }): ImportGraph {
  const files = new Set<string>();
  const packages = new Set<string>();
  const via = new Map<string, string>();
  const queue = [resolve(entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(STATIC)].map((m) => m[1]!);
    if (options.dynamic) specifiers.push(...[...text.matchAll(DYNAMIC)].map((m) => m[1]!));
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (!via.has(target) && target !== resolve(entry)) via.set(target, file);
        queue.push(target);
      } else if (!specifier.startsWith('node:') && !BUILTINS.has(specifier)) {
        packages.add(packageOf(specifier));
      }
    }
  }
  return { files, packages, via };
}

/** `name` and everything it depends on at run time (`dependencies`), resolved like node does from `from`. */
export function packageClosure(names: Iterable<string>, from: string): Set<string> {
  const seen = new Set<string>();
  const visited = new Set<string>();
  const locate = (name: string, dir: string): string | undefined => {
    for (let d = dir; ; d = dirname(d)) {
      const candidate = join(d, 'node_modules', name, 'package.json');
      if (existsSync(candidate)) return candidate;
      if (dirname(d) === d) return undefined;
    }
  };
  const walk = (name: string, dir: string): void => {
    const manifest = locate(name, dir);
    if (!manifest) throw new Error(`package ${name} is not installed (looked from ${dir})`);
    if (visited.has(manifest)) return;
    visited.add(manifest);
    seen.add(name);
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(json.dependencies ?? {})) walk(dep, dirname(manifest));
  };
  for (const name of names) walk(name, from);
  return seen;
}
