export {
  RunWriter,
  readMetrics,
  metricsToCsv,
  formatMetricLine,
  METRICS_FILE,
  CONFIG_FILE,
  ENVIRONMENT_FILE,
  type RunWriterOptions,
} from './run-writer';
export type { MetricRecord, MetricValue } from './record';
export {
  TensorBoardWriter,
  maskedCrc32c,
  tfRecord,
  scalarEvent,
  fileVersionEvent,
  scalarsOf,
  decodeTfEvents,
  type TfEvent,
  type TensorBoardWriterOptions,
} from './tensorboard';
export { captureEnvironment, type RunEnvironment } from './environment';
export { lineChartSvg, type LineChartOptions, type LineSeries, type ReferenceLine } from './svg/line-chart';
export { heatmapSvg, type HeatmapOptions } from './svg/heatmap';
export { barChartSvg, type BarChartOptions } from './svg/bar-chart';
export { stackedBarChartSvg, type StackedBarChartOptions } from './svg/stacked-bar-chart';
export { wilsonInterval } from './intervals';
