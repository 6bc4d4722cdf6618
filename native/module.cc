// The addon's module: housekeeping entry points, and the table of exports (each entry point
// wrapped so oneDNN's and our runtime errors reach JS as errors naming the call).
#include "conv.h"
#include "ops.h"

namespace mimo {

namespace {

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "setNumThreads: need at least 1 thread");
  omp_set_num_threads(n);
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

// Which implementation serves a conv forward of this signature ("jit:avx2", "mimo_wino_4x3", ...).
Napi::Value ConvImplInfo(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), conv_impl_info(ints(info[0], 17, "convImplInfo sig")));
}

Napi::Value ClearCache(const Napi::CallbackInfo& info) {
  clear_conv_cache();
  clear_matmul_cache();
  return info.Env().Undefined();
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  auto v = dnnl::version();
  return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) +
                                           "." + std::to_string(v->patch));
}

// Turn oneDNN's exceptions into JS errors that say which call failed.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const dnnl::error& e) {
    throw Napi::Error::New(info.Env(), std::string("oneDNN: ") + e.what() +
                                           " (status " + std::to_string(e.status) + ")");
  } catch (const std::runtime_error& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Freed memory stays in the process (no mmap for large blocks, no trimming): fresh pages cost
  // ~14 us each to fault in on these VMs. A 1 GiB trim threshold still handed a dynamic run's
  // slow-step activations back after every slow step (300k faults, half of that step's time).
  if (!getenv("MIMO_NO_MALLOPT")) {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, -1);  // -1: never trim (mallopt(3))
  }
  exports.Set("conv2dForward", Napi::Function::New<guarded<Conv2dForward>>(env));
  exports.Set("conv2dBackwardData", Napi::Function::New<guarded<Conv2dBackwardData>>(env));
  exports.Set("conv2dBackwardWeights", Napi::Function::New<guarded<Conv2dBackwardWeights>>(env));
  exports.Set("matmul", Napi::Function::New<guarded<Matmul>>(env));
  exports.Set("binary", Napi::Function::New<guarded<Binary>>(env));
  exports.Set("unary", Napi::Function::New<guarded<Unary>>(env));
  exports.Set("reduce", Napi::Function::New<guarded<Reduce>>(env));
  exports.Set("tile", Napi::Function::New<guarded<Tile>>(env));
  exports.Set("transpose", Napi::Function::New<guarded<Transpose>>(env));
  exports.Set("batchNorm", Napi::Function::New<guarded<BatchNorm>>(env));
  exports.Set("preluGrad", Napi::Function::New<guarded<PreluGrad>>(env));
  exports.Set("superposeBundle", Napi::Function::New<guarded<SuperposeBundle<false>>>(env));
  exports.Set("superposeBundleGrad", Napi::Function::New<guarded<SuperposeBundle<true>>>(env));
  exports.Set("arrangeGrid", Napi::Function::New<guarded<ArrangeGrid<false>>>(env));
  exports.Set("arrangeGridGrad", Napi::Function::New<guarded<ArrangeGrid<true>>>(env));
  exports.Set("superposeUnbind", Napi::Function::New<guarded<SuperposeUnbind>>(env));
  exports.Set("superposeUnbindGrad", Napi::Function::New<guarded<SuperposeUnbindGrad>>(env));
  exports.Set("gatherRows", Napi::Function::New<guarded<GatherRows>>(env));
  exports.Set("bindBundle", Napi::Function::New<guarded<BindBundle>>(env));
  exports.Set("dropout", Napi::Function::New<guarded<Dropout>>(env));
  exports.Set("layerNorm", Napi::Function::New<guarded<LayerNorm>>(env));
  exports.Set("layerNormGrad", Napi::Function::New<guarded<LayerNormGrad>>(env));
  exports.Set("pool2dForward", Napi::Function::New<guarded<Pool2dForward>>(env));
  exports.Set("pool2dBackward", Napi::Function::New<guarded<Pool2dBackward>>(env));
  exports.Set("batchNormForward", Napi::Function::New<guarded<BatchNormForward>>(env));
  exports.Set("batchNormBackward", Napi::Function::New<guarded<BatchNormBackward>>(env));
  exports.Set("setNumThreads", Napi::Function::New<guarded<SetNumThreads>>(env));
  exports.Set("getNumThreads", Napi::Function::New<guarded<GetNumThreads>>(env));
  exports.Set("convImplInfo", Napi::Function::New<guarded<ConvImplInfo>>(env));
  exports.Set("clearCache", Napi::Function::New<guarded<ClearCache>>(env));
  exports.Set("version", Napi::Function::New<guarded<Version>>(env));
  exports.Set("abi", Napi::Number::New(env, kAbi));
  return exports;
}

}  // namespace mimo

Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return mimo::Init(env, exports); }

NODE_API_MODULE(mimo_native, InitModule)
