import * as tf from '@tensorflow/tfjs';
import { HopError } from '@hop/core';

/**
 * Flat observation rows `[batch, skip + prod(shape)]` (the original work's `[mask(7), grid...]` layout: `skip = 7`)
 * to a `[batch, ...shape]` tensor without the first `skip` entries of each row: what the VAE encodes.
 */
export function gridBatch(flat: Float32Array, batch: number, shape: readonly number[], skip = 0): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const row = skip + size;
  if (!(Number.isInteger(batch) && batch >= 1) || flat.length !== batch * row)
    throw new HopError(
      'E_SHAPE',
      `gridBatch: ${flat.length} values do not make ${batch} rows of ${skip} skipped + ${size} grid entries ` +
        `(shape [${shape.join(', ')}]); pass the batch size and the grid shape the rows were written with`,
    );
  if (skip === 0) return tf.tensor(flat, [batch, ...shape], 'float32');
  const out = new Float32Array(batch * size);
  for (let b = 0; b < batch; b++) out.set(flat.subarray(b * row + skip, (b + 1) * row), b * size);
  return tf.tensor(out, [batch, ...shape], 'float32');
}
