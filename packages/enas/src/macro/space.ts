/**
 * The macro search space, assembled for the search loop: shared network, controller, arc-string printer; and the
 * official search preset (`scripts/cifar10_macro_search.sh`, reference notes a.2).
 */
import type { Engine } from '@enas-webgpu/autograd';
import { Rng } from '@enas-webgpu/wgsl-kernels';
import { type MacroArchitecture, printMacroArchitecture } from '../arch/macro.js';
import type { CnnSearchOptions } from '../search/cnn-search.js';
import type { CnnSearchSpace, SearchNetwork } from '../search/search-space.js';
import { MACRO_CONTROLLER_DEFAULTS, MacroController, type MacroControllerOptions } from './controller.js';
import { type MacroSearchConfig, MacroSearchNetwork } from './search-network.js';

export interface MacroSpaceOptions {
  child: MacroSearchConfig;
  /** The controller's layer count is the child's. */
  controller: Partial<Omit<MacroControllerOptions, 'layers'>>;
  seed: number;
}

export function createMacroSpace(engine: Engine, o: MacroSpaceOptions): CnnSearchSpace<MacroArchitecture> {
  const rng = new Rng(o.seed);
  const net = new MacroSearchNetwork(engine, o.child, rng, 'child');
  const controller = new MacroController(engine, engine.group('controller'), rng, { ...o.controller, layers: o.child.layers });
  const network: SearchNetwork<MacroArchitecture> = {
    group: net.pool.group,
    forward: (x, arch, training) => net.forward(x, arch, training),
    namedBuffers: () => net.namedBuffers(),
    namedParameters: () => [...net.pool.entries()],
  };
  return { name: 'macro', network, controller, print: printMacroArchitecture };
}

/**
 * The official macro search on CIFAR-10: 12 layers of 36 channels (constant width during search: the official
 * code doubles channels at the pooling layers only for fixed architectures), batch 128, keep_prob 0.9, L2 2.5e-4,
 * SGDR 0.05 → 0.0005 with T0 = 10, T_mul = 2, 310 epochs; controller LSTM 64, tanh constant 1.5, Adam lr 0.001,
 * 50 updates × 20 aggregated samples per epoch, skip penalty ρ = 0.4 with weight 0.8, entropy weight 1e-4.
 */
export const MACRO_SEARCH_PRESET: {
  epochs: number;
  child: Omit<MacroSearchConfig, 'inputChannels' | 'imageSize' | 'classes'>;
  controller: MacroControllerOptions;
  search: Omit<CnnSearchOptions, 'childStepsPerEpoch' | 'clipNorm' | 'seed'>;
} = {
  epochs: 310,
  child: { layers: 12, filters: 36, keepProb: 0.9 },
  controller: MACRO_CONTROLLER_DEFAULTS,
  search: {
    batchSize: 128,
    lr: { lrMax: 0.05, lrMin: 0.0005, t0: 10, tMul: 2 },
    momentum: 0.9,
    l2: 2.5e-4,
    // The macro child has no auxiliary head (`GeneralChild` builds none although the script passes the flag).
    auxWeight: 0,
    controllerSteps: 50,
    aggregate: 20,
    controllerLr: 0.001,
    entropyWeight: 1e-4,
    baselineDecay: 0.99,
    augment: { pad: 4, flip: true, cutout: 0 },
  },
};
