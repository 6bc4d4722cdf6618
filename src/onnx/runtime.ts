/**
 * ONNX Runtime (onnxruntime-node), loaded on demand: it is a development dependency of
 * mimonets (the engine our exported graphs are checked and benchmarked against), so the
 * commands that use it say how to get it when it is absent.
 */
export type OnnxRuntime = typeof import('onnxruntime-node');

export async function loadOnnxRuntime(): Promise<OnnxRuntime> {
  try {
    return await import('onnxruntime-node');
  } catch (e) {
    throw new Error(`this needs the onnxruntime-node package (a development dependency of mimonets; npm install onnxruntime-node): ${(e as Error).message}`);
  }
}

/** Session options for a fair CPU comparison: `threads` intra-op threads, no spinning between runs. */
export function cpuSessionOptions(threads: number) {
  return {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' as const, graphOptimizationLevel: 'all' as const, logSeverityLevel: 3 as const,
    // Its worker threads would otherwise spin after each run and slow whatever runs next.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}
