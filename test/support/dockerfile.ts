/** One Dockerfile instruction: keyword upper-cased, arguments with line continuations joined. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** One build stage: `FROM image AS name` and what follows it. */
export interface Stage {
  readonly name: string;
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

/** Splits a Dockerfile into stages (comments and parser directives dropped). Enough for our own file. */
export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  let pending: { keyword: string; args: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (pending === undefined) {
      if (line.trim() === '' || line.trimStart().startsWith('#')) return;
      const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
      if (!m) throw new Error(`Dockerfile line ${i + 1}: cannot parse ${JSON.stringify(line)}`);
      pending = { keyword: m[1]!.toUpperCase(), args: m[2]!, line: i + 1 };
    } else {
      if (line.trimStart().startsWith('#')) return;
      pending.args += ` ${line.trim()}`;
    }
    if (pending.args.endsWith('\\')) {
      pending.args = pending.args.slice(0, -1).trimEnd();
      return;
    }
    instructions.push(pending);
    pending = undefined;
  });
  const stages: { name: string; image: string; instructions: Instruction[] }[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args.trim());
      if (!m) throw new Error(`Dockerfile line ${ins.line}: cannot parse FROM`);
      stages.push({ image: m[1]!, name: m[2] ?? String(stages.length), instructions: [] });
    } else {
      const current = stages.at(-1);
      if (!current) throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} before FROM`);
      current.instructions.push(ins);
    }
  }
  return stages;
}

/** `COPY [--from=X] [--chown=..] src... dest` → its parts. */
export function parseCopy(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.trim().split(/\s+/);
  let from: string | undefined;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift()!;
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
  }
  const dest = words.pop();
  if (dest === undefined || words.length === 0) throw new Error(`COPY needs a source and a destination: ${args}`);
  return { ...(from !== undefined ? { from } : {}), sources: words, dest };
}

/** The JSON (exec) form of CMD/ENTRYPOINT/HEALTHCHECK CMD. */
export function execForm(args: string): string[] {
  const parsed = JSON.parse(args) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`expected the exec form ["..."]: ${args}`);
  return parsed as string[];
}
