/** Plots as SVG (pure functions) and their PNG rendering. */
export { niceScale, formatTick, type Scale } from './axis.js';
export { PALETTE } from './marks.js';
export { operatingPointsSvg, PLOT_DEFAULTS, type OperatingPoint, type OperatingPointSeries, type OperatingPointsPlotOptions } from './operating_points.js';
export { learningCurvesSvg, LEARNING_CURVES_DEFAULTS, type LearningCurve, type LearningCurvesOptions } from './learning_curves.js';
export { learningCurvesFromCheckpoints } from './learning_curves_data.js';
export { lineChartSvg, type ChartPoint, type ChartSeries, type LineChartOptions } from './line_chart.js';
export { loadOperatingPoints, parseOperatingPoints, RESULTS_FIX, type OperatingPointsData } from './operating_points_data.js';
export { escapeXml, FONT_FAMILY } from './svg.js';
export { svgToPng, type SvgToPngOptions } from './svg_to_png.js';
