/** The scenarios `pnpm bench` knows, in the order it runs them. */
export const SCENARIOS = ['balance', 'request-log', 'revocation', 'transfers', 'webhooks', 'hot-account', 'client-credentials', 'introspection', 'code-flow'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** What `pnpm bench` was asked to do. */
export interface BenchArgs {
  /** `--quick`: short runs for CI (fails only on unexpected errors, never on speed). */
  quick: boolean;
  /** Measured seconds per scenario (after the warm-up): `--seconds N`, default 10, or 3 with `--quick`. */
  seconds: number;
  /** Warm-up seconds before each measured run (not reported): 2, or 1 with `--quick`. */
  warmupSeconds: number;
  /** `--only a,b`: the scenarios to run (all by default), in {@link SCENARIOS} order. */
  only: ScenarioName[];
  /** `--profile`: start the services with `--cpu-prof` and print their hottest functions at the end. */
  profile: boolean;
}

/** A command line `pnpm bench` cannot run; the message names the argument. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `usage: pnpm bench [--quick] [--seconds N] [--only ${SCENARIOS.join('|')}[,…]] [--profile]`;

const MAX_SECONDS = 600;

/**
 * Reads the arguments after `pnpm bench` (`--name value` or `--name=value`).
 *
 * @param argv the arguments only, without `node` and the script
 * @throws {UsageError} for an unknown flag, a missing value, seconds outside 1..600 or an unknown scenario
 */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let quick = false;
  let profile = false;
  let seconds: number | undefined;
  let only: ScenarioName[] | undefined;
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] as string;
    const [flag, inline] = argument.startsWith('--') && argument.includes('=')
      ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)]
      : [argument, undefined];
    const value = (): string => {
      const found = inline ?? argv[(index += 1)];
      if (found === undefined || found === '') throw new UsageError(`${flag} needs a value`);
      return found;
    };
    if (flag === '--quick' && inline === undefined) quick = true;
    else if (flag === '--profile' && inline === undefined) profile = true;
    else if (flag === '--seconds') seconds = readSeconds(value());
    else if (flag === '--only') only = readScenarios(value());
    else throw new UsageError(`unknown argument ${JSON.stringify(argument)}`);
  }
  return {
    quick,
    seconds: seconds ?? (quick ? 3 : 10),
    warmupSeconds: quick ? 1 : 2,
    only: only ?? [...SCENARIOS],
    profile,
  };
}

function readSeconds(raw: string): number {
  const seconds = Number(raw);
  if (!/^[0-9]+$/.test(raw) || seconds < 1 || seconds > MAX_SECONDS) {
    throw new UsageError(`--seconds must be an integer from 1 to ${MAX_SECONDS}, not ${JSON.stringify(raw)}`);
  }
  return seconds;
}

function readScenarios(raw: string): ScenarioName[] {
  const asked = raw.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = asked.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (asked.length === 0 || unknown.length > 0) {
    throw new UsageError(`--only takes scenario names among ${SCENARIOS.join(', ')}; unknown: ${JSON.stringify(unknown.join(',') || raw)}`);
  }
  return SCENARIOS.filter((name) => asked.includes(name));
}
