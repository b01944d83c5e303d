/** Programmatic entry points of the CLI (the `enas` binary is ./main.ts). */
export { runCli, UsageError } from './run-cli.js';
