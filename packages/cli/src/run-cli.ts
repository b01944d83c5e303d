/** Runs a commander program so that user errors exit 2 with one line and everything else exits 1 with details. */
import type { Command } from 'commander';

/** An error whose message tells the user what to fix; printed without a stack trace, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export async function runCli(program: Command, argv: string[]): Promise<void> {
  // Subcommands copy these settings only when created after them, so apply them to the whole tree.
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) c.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const e = error as { code?: string; exitCode?: number; message?: string; name?: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
      process.exitCode = 0;
    } else if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      process.exitCode = 2; // commander already printed the message
    } else if (e instanceof UsageError || e.name === 'NoAdapterError') {
      process.stderr.write(`enas: ${e.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`enas: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    }
  }
}
