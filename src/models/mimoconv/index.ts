export * from './config.js';
export { forward, slotMatrices, type BnMode, type BnStat, type ForwardOutput, type Params } from './forward.js';
export { isometryPenalty, isometryRegularizer } from './isometry.js';
export { layout, macsPerImage, type BlockPlan, type Layout, type ParamSpec } from './layout.js';
export { MimoConvNet, type Regularizers } from './model.js';
export { exportTorchParams, importTorchParams, keyFromTorchConv1d, permute, torchConv1dFromKey, type NamedArray } from './torch_import.js';
export { exportReferenceStateDict, importReferenceStateDict, inferReferenceConfig, referenceEntries, referenceName, type BnStatValues } from './reference_state_dict.js';
export { exportMimoConvOnnx, type OnnxExportOptions } from './onnx_export.js';
