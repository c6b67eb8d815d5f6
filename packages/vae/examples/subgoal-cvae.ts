import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hop/core';
import { SubgoalCVAE } from '@hop/vae';

await initBackend();
const cvae = new SubgoalCVAE({ inputShape: [4, 4, 3], numActions: 7, latentDim: 8, freeBits: 0.1, seed: 1 });
// Two trajectories of a co-player, 3 steps and 2 steps: one row per step.
const batch = {
  obs: tf.randomUniform([5, 4, 4, 3], 0, 1, 'float32', 1), // the co-player's observation at each row
  actions: Int32Array.from([0, 3, 5, 1, 6]), // the action it took there (what later rows' histories read)
  numSequences: 2,
  steps: 3,
  slot: Int32Array.from([0, 1, 2, 3, 4]), // row -> sequence * steps + t
  subgoal: Int32Array.from([2, 2, 2, 4, 4]), // row -> the row holding its hindsight subgoal observation
};
const optimizer = tf.train.adam(1e-3);
for (let step = 0; step < 10; step++) {
  optimizer.minimize(() => {
    const { z, klLoss } = cvae.losses(batch, { seed: step }); // z ~ q(z | o_t, h_t, s_g), KL(q || p) with free bits
    const policyLoss = tf.mean(tf.square(tf.sub(z, 1))); // stands in for the MOA's CE(pi(a | o, t, z))
    return tf.add(policyLoss, tf.mul(klLoss, 0.5)) as tf.Scalar;
  }, false, cvae.trainableVariables);
}
const prior = cvae.prior({ ...batch, subgoal: undefined }, { seed: 7 }); // inference reads the prior only
console.log(`prior z: ${prior.z.shape[0]} rows x ${cvae.latentSize}`);
tf.dispose([...Object.values(prior), batch.obs]); // z and the prior's mu / logVar (or logits): every tensor it returned
optimizer.dispose();
cvae.dispose();
