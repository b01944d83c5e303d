/**
 * A run directory: config.json (fully resolved), log.jsonl (one record per line, appended), checkpoints/ (the
 * latest state as safetensors), best_arc.txt and best_arc.svg (a search; a training writes arc.txt/arc.svg). Everything but the log is replaced atomically; the
 * log is appended line by line, so a crash loses at most the line being written (readers skip a torn last line).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type LogRecord, parseRunConfig, type RunConfig } from '@enas-webgpu/enas';
import { UsageError } from '../run-cli.js';
import { writeFileAtomic } from './files.js';

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

  writeText(name: string, text: string): void {
    writeFileAtomic(this.file(name), text);
  }
}
