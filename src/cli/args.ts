// Command-line parsing on node:util parseArgs: unknown flags and missing values are errors.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'UsageError';
  }
}

type Spec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string; default?: string | boolean }>;

export function parse<S extends Spec>(cmd: string, argv: string[], spec: S): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { ...spec, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals };
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`gradsight ${cmd}: ${msg}`);
  }
}

export function num(cmd: string, name: string, v: unknown, def: number, check: (x: number) => boolean = Number.isFinite): number {
  if (v === undefined) return def;
  const x = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !check(x)) throw new UsageError(`gradsight ${cmd}: --${name} expects a number${check === Number.isFinite ? '' : ' in range'}; got '${String(v)}'`);
  return x;
}

export function int(cmd: string, name: string, v: unknown, def: number, min = 0): number {
  return num(cmd, name, v, def, (x) => Number.isInteger(x) && x >= min);
}
