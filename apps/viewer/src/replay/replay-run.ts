/**
 * A finished (or running) CLI run, as the replay views need it: the records of `log.jsonl` (run/records.ts in
 * @enas-webgpu/enas) split into curves by record type, the architecture of every child step, and the derive records.
 * Pure: no DOM, no GPU (replay works in a browser without WebGPU).
 */
import {
  type Architecture,
  type ChildLogRecord,
  type ControllerLogRecord,
  type DeriveLogRecord,
  type EpochLogRecord,
  type LogRecord,
  parseArchitecture,
  parseLog,
  parseRunConfig,
  type RunConfig,
} from '@enas-webgpu/enas';
import { Smoother } from '../views/smoother.js';

export interface ReplayRun {
  config: RunConfig;
  child: ChildLogRecord[];
  /** EMA of the child loss, one per child record (the raw minibatch loss is noisy). */
  childLossTrend: number[];
  controller: ControllerLogRecord[];
  epochs: EpochLogRecord[];
  /** Each derive record's best architecture (per epoch, and the final derive). */
  derives: DeriveLogRecord[];
  /** Records of types this viewer does not show (checkpoints, or newer types). */
  otherRecords: number;
}

export function buildReplayRun(config: RunConfig, records: readonly LogRecord[]): ReplayRun {
  const run: ReplayRun = { config, child: [], childLossTrend: [], controller: [], epochs: [], derives: [], otherRecords: 0 };
  const trend = new Smoother(0.9);
  for (const r of records) {
    switch (r.type) {
      case 'child':
        run.child.push(r);
        run.childLossTrend.push(trend.next(r.loss));
        break;
      case 'controller':
        run.controller.push(r);
        break;
      case 'epoch':
        run.epochs.push(r);
        break;
      case 'derive':
        run.derives.push(r);
        break;
      default:
        run.otherRecords += 1;
    }
  }
  return run;
}

/** Reads the two files of a run directory (their text), naming the file in any error. */
export function parseReplayFiles(configText: string, logText: string, names = { config: 'config.json', log: 'log.jsonl' }): ReplayRun {
  return buildReplayRun(parseRunConfig(configText, names.config), parseLog(logText, names.log));
}

/** The architecture an arc string of this run encodes, in the run's search space. */
export function runArchitecture(run: ReplayRun, arc: string): Architecture {
  return parseArchitecture(run.config.space, arc);
}

/** What the run was, in one line. */
export function describeRun(run: ReplayRun): string {
  const c = run.config;
  const last = run.child.at(-1);
  const steps = last ? `${run.child.length} child steps (to epoch ${last.epoch})` : 'no child steps yet';
  return `${c.command} · ${c.space} space · preset ${c.preset} · ${c.dataset.name} · seed ${c.seed} · ${steps} · ${run.controller.length} controller updates`;
}

/** Where and when it ran: the adapter's name (its limits left out) and the start time. */
export function describeRunOrigin(run: ReplayRun): string {
  const adapter = run.config.adapter.split(';')[0]?.trim() || 'unknown adapter';
  return `recorded on ${adapter}, started ${run.config.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`;
}
