/** A logged value. Non-finite numbers are stored as the strings "NaN", "Infinity", "-Infinity". */
export type MetricValue = number | string | boolean | null;
/** One line of `metrics.jsonl`: what both the JSONL run writer and the TensorBoard writer consume. */
export type MetricRecord = Record<string, MetricValue>;
