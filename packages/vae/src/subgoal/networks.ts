import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '@hop/core';
import type { SubgoalCvaeConfig } from './config';

/** The CVAE's networks, each a tf.LayersModel so core checkpoints save and load them by name. */
export interface SubgoalNetworks {
  /** `[...inputShape] -> [embedUnits]`: one step's observation. */
  embed: tf.LayersModel;
  /** `[steps, embedUnits + numActions] -> [steps, gruUnits]`: the GRU state after each step. */
  history: tf.LayersModel;
  /** `[embedUnits + gruUnits] -> heads`: `p(z | o_t, h_t)`. */
  prior: tf.LayersModel;
  /** `[2 * embedUnits + gruUnits] -> heads`: `q(z | o_t, h_t, s_g)`. */
  posterior: tf.LayersModel;
  /** `[latentSize] -> [prod(inputShape)]` (only with `reconstruct`). */
  decoder: tf.LayersModel | null;
}

// Fixed layer names (checkpoint weight names match across processes) and initialisers seeded by name.
const glorot = (c: SubgoalCvaeConfig, name: string) => tf.initializers.glorotUniform({ seed: deriveSeed(c.seed, name) });

function dense(c: SubgoalCvaeConfig, units: number, name: string, activation?: SubgoalCvaeConfig['activation']) {
  return tf.layers.dense({ units, name, kernelInitializer: glorot(c, name), ...(activation ? { activation } : {}) });
}

/** An MLP with one hidden layer and the latent heads: `[mu, logVar]` (gaussian) or logits (gumbel). */
function headModel(c: SubgoalCvaeConfig, name: string, inputUnits: number): tf.LayersModel {
  const input = tf.input({ shape: [inputUnits], name: `${name}_input` });
  const h = dense(c, c.hidden, `${name}_hidden`, c.activation).apply(input) as tf.SymbolicTensor;
  const outputs =
    c.latent === 'gaussian'
      ? [dense(c, c.latentDim, `${name}_mu`).apply(h), dense(c, c.latentDim, `${name}_logvar`).apply(h)]
      : [dense(c, c.slots * c.classes, `${name}_logits`).apply(h)];
  return tf.model({ inputs: input, outputs: (outputs.length === 1 ? outputs[0] : outputs) as tf.SymbolicTensor[], name });
}

export function latentSizeOf(c: SubgoalCvaeConfig): number {
  return c.latent === 'gaussian' ? c.latentDim : c.slots * c.classes;
}

export function buildSubgoalNetworks(c: SubgoalCvaeConfig): SubgoalNetworks {
  const built: tf.LayersModel[] = [];
  try {
    const keep = (m: tf.LayersModel) => (built.push(m), m);
    const obsIn = tf.input({ shape: c.inputShape, name: 'embed_input' });
    const flat = c.inputShape.length > 1 ? (tf.layers.flatten({ name: 'embed_flatten' }).apply(obsIn) as tf.SymbolicTensor) : obsIn;
    const embed = keep(tf.model({ inputs: obsIn, outputs: dense(c, c.embedUnits, 'embed_dense', c.activation).apply(flat) as tf.SymbolicTensor, name: 'embed' }));

    const seqIn = tf.input({ shape: [null, c.embedUnits + c.numActions], name: 'history_input' });
    const gru = tf.layers.gru({
      units: c.gruUnits,
      returnSequences: true,
      name: 'history_gru',
      kernelInitializer: glorot(c, 'history_gru_kernel'),
      recurrentInitializer: tf.initializers.orthogonal({ gain: 1, seed: deriveSeed(c.seed, 'history_gru_recurrent') }),
    });
    const history = keep(tf.model({ inputs: seqIn, outputs: gru.apply(seqIn) as tf.SymbolicTensor, name: 'history' }));

    const prior = keep(headModel(c, 'prior', c.embedUnits + c.gruUnits));
    const posterior = keep(headModel(c, 'posterior', 2 * c.embedUnits + c.gruUnits));
    let decoder: tf.LayersModel | null = null;
    if (c.reconstruct) {
      const zIn = tf.input({ shape: [latentSizeOf(c)], name: 'decoder_input' });
      const h = dense(c, c.hidden, 'decoder_hidden', c.activation).apply(zIn);
      const size = c.inputShape.reduce((a, b) => a * b, 1);
      decoder = keep(tf.model({ inputs: zIn, outputs: dense(c, size, 'decoder_out').apply(h) as tf.SymbolicTensor, name: 'decoder' }));
    }
    return { embed, history, prior, posterior, decoder };
  } catch (e) {
    for (const m of built) m.dispose();
    throw e;
  }
}
