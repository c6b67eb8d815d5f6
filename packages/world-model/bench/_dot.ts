import * as tf from '@tensorflow/tfjs';
const h = tf.input({ shape: [9, 4] }); const s = tf.input({ shape: [9, 1] });
const d = tf.layers.dot({ axes: [1, 1] }).apply([h, s]) as tf.SymbolicTensor;
const f = tf.layers.flatten().apply(d) as tf.SymbolicTensor;
const m = tf.model({ inputs: [h, s], outputs: f });
const hv = tf.randomNormal([2, 9, 4]); const sv = tf.oneHot([3, 5], 9).reshape([2, 9, 1]);
(m.predict([hv, sv]) as tf.Tensor).print(); hv.slice([0, 3, 0], [1, 1, 4]).print(); hv.slice([1, 5, 0], [1, 1, 4]).print();
