export { superpose, Superposed, type SuperposedOutput } from './superposed.js';
export { SUPERPOSE_DEFAULTS, resolveSuperposeConfig, type SuperposeConfig, type SuperposeOptions, type Trunk } from './config.js';
