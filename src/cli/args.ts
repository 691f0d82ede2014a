// Command-line parsing on node:util parseArgs: unknown flags and missing values are errors.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'UsageError';
  }
}

type Spec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string; default?: string | boolean }>;

/** A value that parseArgs would otherwise take for an option: `-1`, `-0.5`, `-.5`, `-1e-3`. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * `--max-iter -1` → `--max-iter=-1`, so that a negative number given to a string option reaches the range
 * check (and its clear message) instead of parseArgs's "argument is ambiguous".
 */
function joinNegativeValues(argv: readonly string[], spec: Spec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    if (name && spec[name]?.type === 'string' && i + 1 < argv.length && NEGATIVE_NUMBER.test(argv[i + 1])) {
      out.push(`${a}=${argv[i + 1]}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export function parse<S extends Spec>(cmd: string, argv: string[], spec: S): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: joinNegativeValues(argv, spec), options: { ...spec, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals };
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`gradsight ${cmd}: ${msg}`);
  }
}

/**
 * A numeric option (`def` when absent). `what` describes the accepted values for the error message
 * (e.g. 'a positive number'); by default any finite number.
 */
export function num(cmd: string, name: string, v: unknown, def: number, check: (x: number) => boolean = Number.isFinite, what?: string): number {
  if (v === undefined) return def;
  const x = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(x) || !check(x)) {
    const desc = what ?? (check === Number.isFinite ? 'a number' : 'a number in range');
    throw new UsageError(`gradsight ${cmd}: --${name} expects ${desc}; got '${String(v)}'`);
  }
  return x;
}

export function int(cmd: string, name: string, v: unknown, def: number, min = 0): number {
  return num(cmd, name, v, def, (x) => Number.isInteger(x) && x >= min, `an integer ≥ ${min}`);
}
