/**
 * The `enas` command. Argument parsing is commander's; every command lives in ./commands.
 * Errors a user can fix (bad options, missing data) print one message and exit with status 2, no stack trace.
 */
import { Command } from 'commander';
import { infoCommand } from './commands/info.js';
import { smokeCommand } from './commands/smoke.js';
import { runCli } from './run-cli.js';

const program = new Command()
  .name('enas')
  .description('Efficient Neural Architecture Search on WebGPU (Node: Dawn; no GPU: Mesa lavapipe)')
  .showHelpAfterError();

program
  .command('info')
  .description('print the WebGPU adapter, its limits and features')
  .option('--json', 'machine-readable output')
  .action(infoCommand);
program.command('smoke').description('check the stack: run a kernel on the adapter and compare with float64').action(smokeCommand);

await runCli(program, process.argv);
