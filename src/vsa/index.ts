/** Vector-symbolic architecture primitives: pure tensor functions. */
export { circulant, circulantIndex } from './circulant.js';
export { bindBundle, bundle } from './bind_bundle.js';
export { cosineSimilarity, hrrBind, hrrInvolution, hrrUnbind, randomHrrKeys, unitaryHrrKeys } from './hrr.js';
export { mapBind, mapUnbind, randomBipolarKeys } from './map.js';
export { bindingRegularizer } from './regularizers.js';
export { unbindSlots } from './unbind.js';
