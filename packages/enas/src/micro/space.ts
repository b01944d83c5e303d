/** The micro search space, assembled for the search loop: shared network, controller, arc-string printer. */
import type { Engine } from '@enas-webgpu/autograd';
import { Rng } from '@enas-webgpu/wgsl-kernels';
import { type MicroArchitecture, printMicroArchitecture } from '../arch/micro.js';
import { MicroController, type MicroControllerOptions } from '../controller/micro-controller.js';
import type { CnnSearchSpace, SearchNetwork } from '../search/search-space.js';
import { type MicroSearchConfig, MicroSearchNetwork } from './search-network.js';

export interface MicroSpaceOptions {
  child: MicroSearchConfig;
  controller: Partial<MicroControllerOptions>;
  seed: number;
}

export function createMicroSpace(engine: Engine, o: MicroSpaceOptions): CnnSearchSpace<MicroArchitecture> {
  const rng = new Rng(o.seed);
  const net = new MicroSearchNetwork(engine, o.child, rng, 'child');
  const controller = new MicroController(engine, engine.group('controller'), rng, { ...o.controller, nodes: o.child.nodes });
  const network: SearchNetwork<MicroArchitecture> = {
    group: net.pool.group,
    forward: (x, arch, training) => net.forward(x, arch, training),
    namedBuffers: () => net.namedBuffers(),
    namedParameters: () => [...net.pool.entries()],
  };
  return { name: 'micro', network, controller, print: printMicroArchitecture };
}
