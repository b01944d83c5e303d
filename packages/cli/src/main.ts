/**
 * The `enas` command. Argument parsing is commander's; every command lives in ./commands.
 * Errors a user can fix (bad options, missing data) print one message and exit with status 2, no stack trace.
 */
import { FIXED_PRESET_NAMES } from '@enas-webgpu/enas';
import { Command, Option } from 'commander';
import { archShowCommand, archValidateCommand } from './commands/arch.js';
import { benchCommand } from './commands/bench.js';
import { deriveCommand } from './commands/derive.js';
import { evalCommand } from './commands/eval.js';
import { infoCommand } from './commands/info.js';
import { searchCommand } from './commands/search.js';
import { smokeCommand } from './commands/smoke.js';
import { trainCommand } from './commands/train.js';
import { runCli } from './run-cli.js';
import { kebab, OVERRIDES, SEARCH_PRESETS } from './search/presets.js';
import { RNN_PRESETS } from './search/rnn-search.js';
import { RNN_TRAIN_OVERRIDES, RNN_TRAIN_PRESETS } from './train/rnn-train.js';
import { TRAIN_OVERRIDES } from './train/train-options.js';

const program = new Command()
  .name('enas')
  .description('Efficient Neural Architecture Search on WebGPU (Node: Dawn; without a GPU: Mesa lavapipe)')
  .showHelpAfterError();

const search = program
  .command('search')
  .description('run an ENAS search; writes config.json, log.jsonl, checkpoints/ and best_arc.txt/.svg into --out')
  .addOption(new Option('--space <space>', 'search space').choices(['micro', 'macro', 'rnn']))
  .addOption(
    new Option(
      '--preset <name>',
      `preset (${[...Object.keys(SEARCH_PRESETS), ...Object.keys(RNN_PRESETS)].join(', ')}); default tiny (micro), paper-macro, tiny-rnn`,
    ),
  )
  .option('--data <dir>', 'CIFAR-10 binary batches directory (data_batch_1.bin .. test_batch.bin); for rnn: ptb.{train,valid,test}.txt')
  .addOption(
    new Option('--dataset <name>', 'dataset (default: mnist, built in, without --data; cifar10 with --data)').choices(['mnist', 'cifar10']),
  )
  .option('--out <dir>', 'new run directory')
  .option('--resume <dir>', 'continue the run in this directory from its last checkpoint')
  .option('--quiet', 'no progress bar or epoch lines: only the log file and the result')
  .option('--aux', 'enable the auxiliary head (default: as the preset says)')
  .option('--no-aux', 'disable the auxiliary head')
  .option('--flip', 'random horizontal flips of training images (default: on for CIFAR-10, off for digits)')
  .option('--no-flip', 'no random horizontal flips')
  .addOption(new Option('--stop-after-steps <n>').hideHelp());
for (const [flag, spec] of Object.entries(OVERRIDES)) search.option(`--${kebab(flag)} <${spec.kind === 'int' ? 'n' : 'x'}>`, spec.help);
// Options of the recurrent-cell search only (the shared ones above also apply: epochs, batch size, nodes, ...).
search
  .option('--hidden <n>', 'rnn: hidden size = embedding size')
  .option('--bptt <n>', 'rnn: mean BPTT length')
  .option('--lr <x>', 'rnn: SGD learning rate of the shared weights')
  .option('--controller-samples <n>', 'rnn: controller samples per epoch (a multiple of --aggregate)')
  .option('--valid-batches <n>', 'rnn: validation batches per validation (0 = the whole validation text)')
  .option('--train-tokens <n>', 'rnn: use only this many training tokens (0 = all)');
search.action((o) => searchCommand(o));

program
  .command('derive')
  .description('sample architectures from a search run, score each on one validation batch, keep the best')
  .argument('<run-dir>', 'a directory written by enas search')
  .option('--samples <n>', 'architectures to sample', '100')
  .option('--quiet', 'print only the result')
  .action((dir, o) => deriveCommand(dir, o));

const train = program
  .command('train')
  .description('train one architecture from scratch; writes config.json, log.jsonl, checkpoints/ and arc.txt/.svg into --out')
  .option('--arc <arc>', 'the architecture string, quoted')
  .option('--arc-file <file>', 'read the architecture string from a file (e.g. a search run’s best_arc.txt)')
  .addOption(new Option('--space <space>', 'search space of the architecture').choices(['micro', 'macro', 'rnn']).default('micro'))
  .addOption(
    new Option(
      '--preset <name>',
      `preset (${FIXED_PRESET_NAMES.join(', ')}; rnn: ${Object.keys(RNN_TRAIN_PRESETS).join(', ')}); default tiny / tiny-rnn`,
    ),
  )
  .option('--data <dir>', 'CIFAR-10 binary batches directory (data_batch_1.bin .. test_batch.bin); rnn: ptb.{train,valid,test}.txt')
  .addOption(
    new Option('--dataset <name>', 'dataset (default: mnist, built in, without --data; cifar10 with --data)').choices(['mnist', 'cifar10']),
  )
  .option('--out <dir>', 'new run directory')
  .option('--resume <dir>', 'continue the run in this directory from its last checkpoint')
  .option('--quiet', 'no progress bar or epoch lines: only the log file and the result')
  .option('--aux', 'enable the auxiliary head (default: as the preset says)')
  .option('--no-aux', 'disable the auxiliary head')
  .option('--flip', 'random horizontal flips of training images (default: on for CIFAR-10, off for digits)')
  .option('--no-flip', 'no random horizontal flips')
  .addOption(new Option('--stop-after-steps <n>').hideHelp());
for (const [flag, spec] of Object.entries(TRAIN_OVERRIDES))
  train.option(`--${kebab(flag)} <${spec.kind === 'int' ? 'n' : 'x'}>`, spec.help);
for (const [flag, spec] of Object.entries(RNN_TRAIN_OVERRIDES)) {
  if (!(flag in TRAIN_OVERRIDES)) train.option(`--${kebab(flag)} <${spec.kind === 'int' ? 'n' : 'x'}>`, spec.help);
}
train.action((o) => trainCommand(o));

program
  .command('eval')
  .description('accuracy of a training run’s latest checkpoint on the whole test (or training) set')
  .argument('<run-dir>', 'a directory written by enas train')
  .addOption(new Option('--split <split>', 'which images (rnn: which text)').choices(['test', 'train', 'valid']).default('test'))
  .option('--quiet', 'print only the result')
  .action((dir, o) => evalCommand(dir, o));

const arch = program.command('arch').description('architecture strings: check, print and draw them');
arch
  .command('show')
  .description('print an architecture (or its JSON) and draw it as SVG')
  .argument('[arc]', 'the architecture string, quoted')
  .addOption(new Option('--space <space>', 'search space').choices(['micro', 'macro', 'rnn']).default('micro'))
  .option('--file <file>', 'read the architecture string from a file (e.g. best_arc.txt)')
  .option('-o, --output <file>', 'write an SVG drawing')
  .option('--json', 'print the JSON form')
  .action((a, o) => archShowCommand(a, o));
arch
  .command('validate')
  .description('check an architecture string; exit status 2 with the reason when it is malformed')
  .argument('[arc]', 'the architecture string, quoted')
  .addOption(new Option('--space <space>', 'search space').choices(['micro', 'macro', 'rnn']).default('micro'))
  .option('--file <file>', 'read the architecture string from a file')
  .action((a, o) => archValidateCommand(a, o));

program
  .command('info')
  .description('print the WebGPU adapter, its limits and features')
  .option('--json', 'machine-readable output')
  .action(infoCommand);
program.command('smoke').description('check the stack: run a kernel on the adapter and compare with float64').action(smokeCommand);
program
  .command('bench')
  .description('kernel benchmark table against tfjs-backend-webgpu on the same device (from a repository checkout)')
  .allowUnknownOption()
  .argument('[args...]', 'benchmark options (--max-size, --only, ...)')
  .action((args: string[]) => benchCommand(args));

await runCli(program, process.argv);
