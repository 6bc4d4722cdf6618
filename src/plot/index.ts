/** Plots as SVG (pure functions) and their PNG rendering. */
export { niceScale, formatTick, type Scale } from './axis.js';
export { PALETTE } from './marks.js';
export { operatingPointsSvg, PLOT_DEFAULTS, type OperatingPoint, type OperatingPointSeries, type OperatingPointsPlotOptions } from './operating_points.js';
export { loadOperatingPoints, parseOperatingPoints, RESULTS_FIX, type OperatingPointsData } from './operating_points_data.js';
export { escapeXml, FONT_FAMILY } from './svg.js';
export { svgToPng, type SvgToPngOptions } from './svg_to_png.js';
