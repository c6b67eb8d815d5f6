import { GumbelVAE } from '../model/gumbel';
import { VanillaVAE } from '../model/vanilla';
import { readVaeCheckpoint, type LoadOptions } from './checkpoint';

/** Loads either kind of VAE checkpoint (the kind is read from its meta.json). */
export async function loadVae(dir: string, options: LoadOptions = {}): Promise<VanillaVAE | GumbelVAE> {
  return readVaeCheckpoint(
    dir,
    undefined,
    (c) => (c.kind === 'vanilla' ? new VanillaVAE(c) : new GumbelVAE(c)),
    options,
  );
}
