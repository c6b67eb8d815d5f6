import { Command, CommanderError, Option } from 'commander';
import { HopError } from '@hop/core';
import type { z } from 'zod';
import { readConfigFile, resolveConfig } from '../config/load';
import {
  CompareCliSchema,
  CollectConfigSchema,
  DemoConfigSchema,
  PretrainConfigSchema,
  WorldModelCliSchema,
} from '../config/schemas';
import { addSchemaOptions, pickSchemaFlags } from './options';
import { DEPRECATED_TRAIN_FLAGS, TrainCliSchema } from '../train/schema';
import { EvalConfigSchema } from '../eval/schema';
import { ExperimentCliSchema } from '../experiment/schema';

import { EXIT, exitCodeOf } from './exit';
import { fsErrorToHop } from '../run/fs-errors';
import { trainerVersion } from './version';

export { EXIT };

/** Reads `--config` (JSON or YAML) and merges the flags over it. */
async function configFrom<S extends z.ZodObject>(schema: S, command: string, opts: Record<string, unknown>): Promise<z.infer<S>> {
  const file = typeof opts.config === 'string' ? { path: opts.config, values: await readConfigFile(opts.config) } : undefined;
  return resolveConfig(schema, command, { file, flags: pickSchemaFlags(schema, opts) });
}

/** The deprecated `hop train` flags the user typed. */
function pickDeprecated(opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of DEPRECATED_TRAIN_FLAGS) if (opts[key] !== undefined) out[key] = opts[key];
  return out;
}

const CONFIG_HELP = 'JSON or YAML file with any of the options below (flags override it)';

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('hop')
    .description('HOP.ts: offline data collection, VAE + MOA pretraining, world models, self-play training and reports for multi-agent RL')
    .version(`${trainerVersion()} (@hop/trainer, node ${process.version})`, '-V, --version', 'Print the version of hop (@hop/trainer) and of node')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  addSchemaOptions(
    program
      .command('collect')
      .description('Play a rule-based population and write an offline dataset (.npy columns + meta.json)')
      .option('--config <file>', CONFIG_HELP),
    CollectConfigSchema,
  ).action(async (opts: Record<string, unknown>) => {
    const { runCollect } = await import('../collect/command');
    setExit(await runCollect(await configFrom(CollectConfigSchema, 'collect', opts)));
  });

  const trainingCommand = <S extends z.ZodObject>(
    name: string,
    description: string,
    schema: S,
    run: (input: { config: z.infer<S> } | { resume: string; flags: Record<string, unknown>; configFile?: string }) => Promise<'completed' | 'interrupted'>,
  ) =>
    addSchemaOptions(
      program
        .command(name)
        .description(description)
        .option('--config <file>', CONFIG_HELP)
        .option('--resume <run>', 'Continue an interrupted run from its last checkpoint (same data order); --epochs may extend it'),
      schema,
    ).action(async (opts: Record<string, unknown>) => {
      const input =
        typeof opts.resume === 'string'
          ? { resume: opts.resume, flags: pickSchemaFlags(schema, opts), configFile: opts.config as string | undefined }
          : { config: await configFrom(schema, name, opts) };
      setExit(exitCodeOf(await run(input)));
    });

  trainingCommand(
    'pretrain',
    'Joint VAE + MOA pretraining on a collected dataset (CE + alpha*KL, or recon + alpha*KL)',
    PretrainConfigSchema,
    async (input) => (await import('../pretrain/command')).runPretrainCommand(input),
  );
  trainingCommand(
    'world-model',
    'Train a world model P(o_t+1, r | o_t, joint action) on a collected dataset',
    WorldModelCliSchema,
    async (input) => (await import('../world-model/command')).runWorldModelCommand(input),
  );

  addSchemaOptions(
    program
      .command('train')
      .description('Self-play training of planning agents (HOP+, HOP in a world model, direct opponent modelling) with greedy held-out evaluation')
      .option('--config <file>', CONFIG_HELP)
      .option('--resume <run>', 'Continue an interrupted run from its newest complete checkpoint; --iterations may extend it'),
    TrainCliSchema,
  )
    // The old spellings still work (hidden from --help); the config layering reports them as deprecated.
    .addOption(new Option('--tree-num <n>').argParser(Number).hideHelp())
    .addOption(new Option('--simulations <n>').argParser(Number).hideHelp())
    .addOption(new Option('--preset <name>').hideHelp())
    .action(async (opts: Record<string, unknown>) => {
    const { runTrainCommand } = await import('../train/command');
    const flags = { ...pickSchemaFlags(TrainCliSchema, opts), ...pickDeprecated(opts) };
    if (typeof opts.resume === 'string') setExit(exitCodeOf(await runTrainCommand({ resume: opts.resume, flags, configFile: opts.config as string | undefined })));
    else {
      const file = typeof opts.config === 'string' ? { path: opts.config, values: await readConfigFile(opts.config) } : undefined;
      setExit(exitCodeOf(await runTrainCommand({ flags, file })));
    }
  });

  addSchemaOptions(
    program
      .command('eval')
      .description('Evaluate trained runs (and rule references) in self-play and few-shot adaptation to unseen co-players: tables (CSV, JSON) and HTML')
      .argument('[runs...]', 'hop train run directories')
      .option('--config <file>', CONFIG_HELP),
    EvalConfigSchema,
  ).action(async (runs: string[], opts: Record<string, unknown>) => {
    const { runEvalCommand } = await import('../eval/command');
    setExit(await runEvalCommand(runs, await configFrom(EvalConfigSchema, 'eval', opts)));
  });

  program
    .command('compare')
    .description('One HTML page comparing hop train runs: reward vs env steps and wall time, evaluation tables, time bars')
    .argument('<runs...>', 'hop train run directories')
    .option('--out <file>', 'output HTML file (default compare.html)')
    .option('--evaluation <file>', 'an evaluation.json written by hop eval, for the tables')
    .addOption(new Option('--progress <mode>', 'Progress: runs read k/n, charts written k/n; a bar on a terminal, plain lines otherwise (auto), or forced (default: auto)').choices(['auto', 'bar', 'plain', 'none']))
    .action(async (runs: string[], opts: Record<string, unknown>) => {
      const { writeComparison } = await import('../compare/command');
      const { out, evaluation, progress } = resolveConfig(CompareCliSchema, 'compare', { flags: pickSchemaFlags(CompareCliSchema, opts) });
      process.stdout.write(`comparison written to ${await writeComparison(runs, { out, evaluation, progress })}\n`);
      setExit(EXIT.ok);
    });

  addSchemaOptions(
    program
      .command('experiment')
      .description('Run a grid of algos x seeds x overrides (resumable: finished cells are skipped), then hop eval and hop compare')
      .argument('<file>', 'experiment YAML (e.g. experiments/msh-baselines.yaml)')
      .option('--queue <url>', 'Enqueue the grid on a Redis server (redis://host:port[/db]) for hop worker processes instead of running it here')
      .option('--status', 'With --queue: show what is waiting, running where, finished and failed, and the ETA')
      .option('--follow', 'With --status: keep showing it until the experiment is done')
      .option('--seeds-per-shard <n>', 'With --queue: evaluation seeds per evaluation job (default 1)', (v: string) => Number(v)),
    ExperimentCliSchema,
  ).action(async (file: string, opts: Record<string, unknown>) => {
    const cli = resolveConfig(ExperimentCliSchema, 'experiment', { flags: pickSchemaFlags(ExperimentCliSchema, opts) });
    if (typeof opts.queue === 'string') {
      const { queueExperimentCommand } = await import('../queue/command');
      setExit(await queueExperimentCommand(file, cli, opts.queue, { status: opts.status === true, follow: opts.follow === true, seedsPerShard: opts.seedsPerShard as number | undefined }));
      return;
    }
    if (opts.status || opts.follow) throw new HopError('E_CONFIG', '--status and --follow show a queued experiment: give --queue redis://host:port too');
    const { runExperimentCommand } = await import('../experiment/command');
    setExit(await runExperimentCommand(file, cli));
  });

  const number = (v: string) => Number(v);
  program
    .command('worker')
    .description('Run queued experiment jobs (hop experiment --queue) from a Redis server, each in its own process; run one per machine')
    .requiredOption('--queue <url>', 'Redis server of the queue: redis://host:port[/db]')
    .option('--concurrency <n>', 'Jobs at once (default: cores / cpus-per-job)', number)
    .option('--cpus-per-job <k>', "Cores one job's tensor thread pools may use (default 1)", number)
    .option('--lock-seconds <s>', "How long a killed worker's job stays locked before another worker takes it (default 30)", number)
    .option('--locked-retry-seconds <s>', 'How long a job whose run is locked by a process elsewhere waits before it is tried again, without using an attempt (default 30)', number)
    .action(async (opts: { queue: string; concurrency?: number; cpusPerJob?: number; lockSeconds?: number; lockedRetrySeconds?: number }) => {
      const { workerCommand } = await import('../queue/command');
      setExit(await workerCommand(opts.queue, opts));
    });

  const queueCmd = program.command('queue').description('The Redis queue of hop experiment --queue: status, and taking an experiment off it');
  queueCmd
    .command('status')
    .description('Jobs of the queued experiments: waiting, running where (host, pid), finished, failed; ETA')
    .argument('[experiment]', 'only this experiment (its name:)')
    .requiredOption('--queue <url>', 'redis://host:port[/db]')
    .option('--follow', 'keep showing it until the experiments are done')
    .action(async (experiment: string | undefined, opts: { queue: string; follow?: boolean }) => {
      const { showStatus } = await import('../queue/status');
      setExit(await showStatus(opts.queue, experiment, opts.follow === true, (t) => process.stdout.write(t + '\n')));
    });
  queueCmd
    .command('remove')
    .description('Take an experiment\'s jobs off the queue (its files stay), e.g. to enqueue a changed file under the same name')
    .argument('<experiment>', 'its name:')
    .requiredOption('--queue <url>', 'redis://host:port[/db]')
    .action(async (experiment: string, opts: { queue: string }) => {
      const { removeExperiment } = await import('../queue/status');
      setExit(await removeExperiment(opts.queue, experiment, (l) => process.stdout.write(l + '\n')));
    });
  program
    .command('queue-job', { hidden: true })
    .description('One queued job, run by hop worker in a child process')
    .argument('<root>')
    .argument('<experiment>')
    .argument('<job>')
    .argument('<recipe>')
    .action(async (root: string, experiment: string, job: string, recipe: string) => {
      const { queueJobCommand } = await import('../queue/command');
      setExit(await queueJobCommand(root, experiment, job, recipe));
    });

  program
    .command('report')
    .description('Write report.html into a run directory: curves, accuracy, confusion matrix, config, environment')
    .argument('<run>', 'run directory (written by hop pretrain or hop world-model)')
    .option('--compare <runs...>', 'other runs whose curves are drawn on the same plots (e.g. joint vs recon)')
    .option('--out <file>', 'where to write the report (default <run>/report.html)')
    .action(async (run: string, opts: { compare?: string[]; out?: string }) => {
      const { writeReport } = await import('../report/build');
      const path = await writeReport(run, { compare: opts.compare ?? [], out: opts.out });
      process.stdout.write(`report written to ${path}\n`);
      setExit(EXIT.ok);
    });

  addSchemaOptions(
    program
      .command('demo')
      .description('Collect a small dataset, pretrain a few epochs, self-play train HOP agents (--budget quick) and write the reports (about 20 minutes on 2 cores; --no-train: a few)')
      .option('--config <file>', CONFIG_HELP),
    DemoConfigSchema,
  ).action(async (opts: Record<string, unknown>) => {
    const { runDemo } = await import('../demo');
    setExit(await runDemo(await configFrom(DemoConfigSchema, 'demo', opts)));
  });

  return program;
}

/** Runs the CLI; resolves to the exit code. User errors print `error [CODE]: message` without a stack. */
export async function runCli(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    // A full disk, a read-only mount, a path through a file: named, whichever command's write met it.
    e = fsErrorToHop(e) ?? e;
    if (e instanceof HopError) {
      process.stderr.write(`error [${e.code}]: ${e.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`unexpected failure: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.failure;
  }
}
