/** Vector-symbolic architecture primitives: pure tensor functions. */
export { circulant, circulantIndex } from './circulant.js';
export { bindBundle, bundle, imageBlocks } from './bind_bundle.js';
export { nativeStemBindBundle } from './bind_bundle_kernel.js';
export { cosineSimilarity, hrrBind, hrrInvolution, hrrUnbind, randomHrrKeys, unitaryHrrKeys } from './hrr.js';
export { mapBind, mapUnbind, randomBipolarKeys } from './map.js';
export { bindingRegularizer } from './regularizers.js';
