#!/usr/bin/env node
/**
 * The `dealwatch` command. This file only parses arguments: each command lives in
 * `src/commands/<name>.ts` (see ./commands/types.ts), imported when it runs so that `--help`
 * stays fast and a command's dependencies load only for that command.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CommandModule, GlobalOptions } from './commands/types.js';
import { ConfigError, DealwatchError } from './domain/errors.js';

/** Exit codes: 0 ok, 1 failure, 2 invalid configuration or usage. */
export const EXIT = { ok: 0, failure: 1, invalidConfig: 2 } as const;

export function buildProgram(): Command {
  const program = new Command('dealwatch')
    .description("Keeps a sales team's CRM honest: syncs Salesforce and HubSpot deals, scores pipeline health, writes warnings back.")
    .version(packageVersion(), '-V, --version')
    .option('-c, --config <path>', 'configuration file (JSON); default $DEALWATCH_CONFIG')
    .showHelpAfterError('(run dealwatch --help for usage)')
    .exitOverride((error) => {
      // Usage errors exit 2 like configuration errors; --help and --version exit 0.
      throw error.exitCode === 0 ? error : Object.assign(error, { exitCode: EXIT.invalidConfig });
    });

  command(program, 'start', 'Server, workers and schedulers in one process');
  command(program, 'serve', 'HTTP server only (webhooks, API, metrics)');
  command(program, 'worker', 'Queue workers and nightly schedulers only');
  command(program, 'sync', 'Sync a connection now, rescore, write back', (cmd) =>
    cmd
      .argument('<connection>', 'connection id from the configuration')
      .option('--full', 'walk everything again (an unfinished walk is continued) and reconcile deletions', false)
      .option('--wait', 'return when the sync, scoring and write-back have finished', false)
      .option('--json', 'print the outcome as one JSON line', false),
  );
  command(program, 'report', "Print a connection's morning pipeline review", (cmd) =>
    cmd.argument('<connection>', 'connection id from the configuration').option('--json', 'print JSON instead of tables', false),
  );
  command(program, 'digest', "Print a connection's digest (forecast, changes, risks, coaching), or send it now", (cmd) =>
    cmd
      .argument('<connection>', 'connection id from the configuration')
      .option('--team <team>', "only this team's reps")
      .option('--send', "send it now on the configured digest's channels (email, Slack)", false)
      .option('--json', 'print {subject, text, html, slack} as one JSON line', false),
  );
  command(program, 'backtest', 'Replay each forecast method on past quarters and measure its error', (cmd) =>
    cmd
      .argument('<connection>', 'connection id from the configuration')
      .option('--quarters <n>', 'complete past quarters to replay, 1-12 (default 4)', quarters)
      .option('--json', 'print JSON instead of tables', false),
  );
  command(program, 'demo', 'Full run against the built-in CRM sandbox', (cmd) =>
    cmd.option('--json', 'print the review as JSON', false).option('--keep', 'leave the server and sandbox running afterwards', false),
  );
  command(program, 'sandbox', 'Run the built-in Salesforce/HubSpot simulator', (cmd) =>
    cmd
      .option('--port <n>', 'port to listen on (default: a free one)', integer)
      .option('--seed <s>', 'seed of the generated book of business')
      .option('--deals <n>', 'number of deals per provider', integer)
      .option('--faults <spec>', 'inject faults, e.g. 429:0.1,500:0.05')
      .option('--no-rate-limit', 'do not enforce the providers rate limits')
      .option('--latency <ms>', 'added latency per request', integer)
      .option('--webhook-url <url>', 'where to send signed webhooks')
      .option('--sales-floor [eventsPerMinute]', 'move random open deals a stage forward in the background (default 6 per minute)')
      .option('--json', 'print one JSON line with URLs and credentials once ready', false),
  );
  command(program, 'migrate', 'Apply pending database migrations');
  command(program, 'resume', 'Unpause a connection once its cause is fixed', (cmd) =>
    cmd.argument('<connection>', 'connection id from the configuration'),
  );
  command(program, 'doctor', 'Check config, database, Redis and CRM access', (cmd) =>
    cmd
      .option('--fix', 'create missing custom CRM fields where possible', false)
      .addOption(new Option('--json', 'print the checks as JSON').default(false)),
  );
  return program;
}

/** Declares a command whose action imports `./commands/<name>.js` and runs it. */
function command(program: Command, name: string, summary: string, configure: (cmd: Command) => Command = (cmd) => cmd): void {
  const cmd = configure(program.command(name).description(summary));
  cmd.action(async (...args: unknown[]) => {
    // commander passes the declared arguments, then the options, then the command itself.
    const self = args.at(-1) as Command;
    const positional = self.registeredArguments.map((argument) => argument.name());
    const options: Record<string, unknown> = { ...program.opts<GlobalOptions>(), ...self.opts() };
    positional.forEach((argName, index) => {
      options[argName] = args[index];
    });
    const module = (await import(`./commands/${name}.js`)) as CommandModule<GlobalOptions>;
    process.exitCode = (await module.run(options as GlobalOptions)) ?? EXIT.ok;
  });
}

function integer(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

function quarters(value: string): number {
  const n = integer(value);
  if (n < 1 || n > 12) throw new InvalidArgumentError('expected 1 to 12');
  return n;
}

/** package.json sits two levels up from dist/src/cli.js and one up from src/cli.ts. */
function packageVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'dealwatch' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

/** Prints an error the way an operator needs it: what and why, never a stack trace or a secret. */
export function reportError(error: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (error instanceof ConfigError) {
    stderr.write(`invalid configuration:\n${error.issues.map((issue) => `  ${issue}`).join('\n')}\n`);
    return EXIT.invalidConfig;
  }
  if (error instanceof DealwatchError) {
    stderr.write(`error [${error.code}]: ${error.message}\n`);
    return EXIT.failure;
  }
  const verbose = ['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '');
  const shown = verbose && error instanceof Error ? (error.stack ?? error.message) : error instanceof Error ? error.message : String(error);
  stderr.write(`error: ${shown}\n`);
  return EXIT.failure;
}

export async function main(argv: readonly string[] = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (isCommanderExit(error)) return error.exitCode;
    return reportError(error);
  }
}

function isCommanderExit(error: unknown): error is { exitCode: number } {
  return (
    typeof error === 'object' && error !== null && 'code' in error && String((error as { code: unknown }).code).startsWith('commander.')
  );
}

// Run when executed (node dist/src/cli.js, the bin link, or tsx src/cli.ts), not when imported by tests.
if (isEntryPoint()) {
  const code = await main();
  // Commands close what they open; exiting here stops a forgotten handle from keeping the CLI alive.
  process.stdout.write('', () => process.exit(code));
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
