/** PyTorch `.pt` files (torch.save's zip format) read and written in TypeScript, without Python. */
export { readTorchFile, readTorchStateDict, StoredTensor, TorchFileError, type TorchStateDict } from './read.js';
export { writeTorchFile, type TorchDict, type TorchValue } from './write.js';
export { decodeStorage, encodeStorage, numel, STORAGE_TYPES, storageClassOf, type TorchDtype, type TorchTensor } from './tensor.js';
