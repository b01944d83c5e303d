/**
 * A run directory: config.json (fully resolved), log.jsonl (one record per line, appended), checkpoints/ (the
 * latest state as safetensors), best_arc.txt and best_arc.svg (a search; a training writes arc.txt/arc.svg). Everything but the log is replaced atomically; the
 * log is appended line by line, so a crash loses at most the line being written (readers skip a torn last line).
 *
 * A run killed hard (power, OOM killer, kill -9) has logged the steps it did after its last checkpoint; a resume
 * redoes them, so it first rewinds the log to that checkpoint's record (`rewindLogToCheckpoint`) and the log of a
 * crashed and resumed run reads like one that never stopped.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type LogRecord, parseRunConfig, type RunConfig } from '@enas-webgpu/enas';
import { UsageError } from '../run-cli.js';
import { writeFileAtomic } from './files.js';

const REWOUND_LOG = 'log-rewound.jsonl';

export class RunDir {
  private constructor(readonly path: string) {}

  /** A new run directory; refuses an existing non-empty one (use --resume to continue it). */
  static create(dir: string): RunDir {
    const path = resolve(dir);
    if (existsSync(path) && readdirSync(path).length > 0) {
      throw new UsageError(`--out ${dir} already exists and is not empty; continue it with --resume ${dir}, or choose another --out`);
    }
    mkdirSync(join(path, 'checkpoints'), { recursive: true });
    return new RunDir(path);
  }

  /** An existing run directory with its config. */
  static open(dir: string, option = '--resume'): { run: RunDir; config: RunConfig } {
    const path = resolve(dir);
    const configPath = join(path, 'config.json');
    if (!existsSync(configPath))
      throw new UsageError(`${option} ${dir}: no config.json there; is it a run directory written by 'enas search' or 'enas train'?`);
    let config: RunConfig;
    try {
      config = parseRunConfig(readFileSync(configPath, 'utf8'), configPath);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    return { run: new RunDir(path), config };
  }

  file(name: string): string {
    return join(this.path, name);
  }

  get checkpointPath(): string {
    return join(this.path, 'checkpoints', 'search.safetensors');
  }

  /** The checkpoint of an `enas train` run. */
  get trainCheckpointPath(): string {
    return join(this.path, 'checkpoints', 'train.safetensors');
  }

  writeConfig(config: RunConfig): void {
    writeFileAtomic(this.file('config.json'), `${JSON.stringify(config, null, 2)}\n`);
  }

  log(record: LogRecord): void {
    appendFileSync(this.file('log.jsonl'), `${JSON.stringify(record)}\n`);
  }

  /**
   * Moves the records after the last checkpoint record (and a torn last line) to log-rewound.jsonl, rewriting the
   * log atomically; returns how many lines moved, and tells `report` when any did. Called when resuming from that
   * checkpoint.
   */
  rewindLogToCheckpoint(report?: (line: string) => void): number {
    const path = this.file('log.jsonl');
    if (!existsSync(path)) return 0;
    const lines = readFileSync(path, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    const isCheckpoint = (line: string) => {
      try {
        return (JSON.parse(line) as { type?: string }).type === 'checkpoint';
      } catch {
        return false;
      }
    };
    let keep = lines.length;
    while (keep > 0 && !isCheckpoint(lines[keep - 1] as string)) keep -= 1;
    if (keep === 0 || keep === lines.length) return 0;
    // Kept, not deleted: records written after the checkpoint by other commands (derive, eval) stay readable.
    appendFileSync(this.file(REWOUND_LOG), `${lines.slice(keep).join('\n')}\n`);
    writeFileAtomic(path, `${lines.slice(0, keep).join('\n')}\n`);
    const moved = lines.length - keep;
    report?.(`moved ${moved} log records written after that checkpoint to ${REWOUND_LOG}: their steps run again`);
    return moved;
  }

  writeText(name: string, text: string): void {
    writeFileAtomic(this.file(name), text);
  }
}
