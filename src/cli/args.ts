// Command-line parsing on node:util parseArgs: unknown flags, missing values and stray words are errors. Each
// command declares its options once (type, help text, default): the parser and `gradsight <cmd> --help` both
// read that declaration, so the help cannot drift from what is parsed.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** May be given several times (each value kept, in order). */
  multiple?: boolean;
  /** Also takes the words that follow it up to the next option (`--image a.png b.png`, a shell glob). */
  variadic?: boolean;
  short?: string;
  /** The value's placeholder in the help (`<n>`). */
  arg?: string;
  /** One line for the help. */
  help: string;
  /** The default as shown in the help (from the code's defaults, never retyped). */
  def?: string | number | boolean;
}

export type Spec = Record<string, OptionSpec>;

/** A value that parseArgs would otherwise take for an option: `-1`, `-0.5`, `-.5`, `-1e-3`. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * `--max-iter -1` → `--max-iter=-1`, so that a negative number given to a string option reaches the range
 * check (and its clear message) instead of parseArgs's "argument is ambiguous"; and the words after a variadic
 * option become more of its values (`--image a b` → `--image a --image b`).
 */
function normalize(argv: readonly string[], spec: Spec): string[] {
  const out: string[] = [];
  let variadic: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (variadic && !a.startsWith('-')) {
      out.push(`--${variadic}=${a}`);
      continue;
    }
    variadic = null;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') ? a.slice(2, eq < 0 ? undefined : eq) : null;
    const o = name ? spec[name] : undefined;
    if (eq < 0 && o?.type === 'string' && i + 1 < argv.length && (NEGATIVE_NUMBER.test(argv[i + 1]) || (o.variadic && !argv[i + 1].startsWith('-')))) {
      out.push(`${a}=${argv[i + 1]}`);
      i++;
    } else out.push(a);
    if (o?.variadic) variadic = name;
  }
  return out;
}

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * Parse `argv` against `spec`. Stray words are a usage error unless `positionals` allows them (the most
 * accepted); a string option given as '' is one too (`--out ''` would otherwise be silently ignored).
 */
export function parse(cmd: string, argv: string[], spec: Spec, positionals = 0): Parsed {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [k, o] of Object.entries(spec)) options[k] = { type: o.type, ...(o.multiple || o.variadic ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) };
  let r;
  try {
    r = parseArgs({ args: normalize(argv, spec), options, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`gradsight ${cmd}: ${msg}`);
  }
  if (r.positionals.length > positionals) {
    const extra = r.positionals.slice(positionals);
    throw new UsageError(`gradsight ${cmd}: unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((p) => `'${p}'`).join(' ')}${positionals ? '' : ' (every value follows its --option)'}`);
  }
  const values = r.values as Parsed['values'];
  for (const [k, v] of Object.entries(values)) {
    if (spec[k]?.type !== 'string') continue;
    for (const s of Array.isArray(v) ? v : [v]) if (s === '') throw new UsageError(`gradsight ${cmd}: --${k} needs a value; got ''`);
  }
  return { values, positionals: r.positionals };
}

/** The largest finite float32: a larger option value would be Infinity on the GPU. */
const F32_MAX = 3.4028234663852886e38;

/**
 * A numeric option (`def` when absent). `what` describes the accepted values for the error message
 * (e.g. 'a positive number'); by default any finite number.
 */
export function num(cmd: string, name: string, v: unknown, def: number, check: (x: number) => boolean = Number.isFinite, what?: string): number {
  if (v === undefined) return def;
  const x = Number(v);
  if (typeof v === 'string' && Number.isFinite(x) && Math.abs(x) > F32_MAX) throw new UsageError(`gradsight ${cmd}: --${name} ${v} is outside the float32 range the GPU computes in (at most ${F32_MAX.toPrecision(5)})`);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(x) || !check(x)) {
    const desc = what ?? (check === Number.isFinite ? 'a number' : 'a number in range');
    throw new UsageError(`gradsight ${cmd}: --${name} expects ${desc}; got '${String(v)}'`);
  }
  return x;
}

/** An integer option in [min, max]; the message names the limit. */
export function int(cmd: string, name: string, v: unknown, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
  return num(cmd, name, v, def, (x) => Number.isInteger(x) && x >= min && x <= max, range);
}

/** Upper bounds of the iteration counts (each run stays within hours on a CPU adapter, not forever). */
export const LIMITS = {
  /** classviz --iterations, gallery --iterations */
  iterations: 10_000,
  /** fool --max-iter */
  maxIter: 10_000,
  /** saliency --samples (SmoothGrad samples, IG steps) */
  samples: 1_000,
  /** bench --runs / --warmup */
  runs: 1_000,
  /** bench --batch */
  batch: 256,
  /** tune --rounds */
  rounds: 100,
  /** seeds are 32-bit */
  seed: 0xffffffff,
} as const;

/** A string option's value, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A multiple option's values (possibly none). */
export function strings(v: unknown): string[] {
  return Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
}

// ---------------- commands and their help ----------------

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** What follows `gradsight <name>` in the usage line. */
  usage: string;
  options: Spec;
  /** Extra lines at the end of the command's help. */
  notes?: string[];
  /** Opens a GPU device (runs behind the stderr filter, src/cli/quiet.ts). */
  gpu: boolean;
  run(argv: string[]): Promise<void>;
}

function showDefault(d: string | number | boolean): string {
  return typeof d === 'string' && /\s/.test(d) ? `'${d}'` : String(d);
}

/** `gradsight <cmd> --help`: the usage line and every option with its default. */
export function commandHelp(c: Command): string {
  const rows = Object.entries(c.options).map(([k, o]) => {
    const left = `--${k}${o.short ? `, -${o.short}` : ''}${o.type === 'string' ? ` ${o.arg ?? '<value>'}${o.variadic ? '...' : ''}` : ''}`;
    const right = `${o.help}${o.def !== undefined ? ` (default: ${showDefault(o.def)})` : ''}`;
    return [left, right];
  });
  rows.push(['--help, -h', 'this help']);
  const w = Math.max(...rows.map((r) => r[0].length));
  return [
    `gradsight ${c.name} — ${c.summary}`,
    '',
    `Usage: gradsight ${c.name} ${c.usage}`.trimEnd(),
    '',
    'Options:',
    ...rows.map(([l, r]) => `  ${l.padEnd(w)}  ${r}`),
    ...(c.notes?.length ? ['', ...c.notes] : []),
  ].join('\n');
}
