// Matmul through oneDNN, one cached primitive per signature (bias and activation fused).
#include "ops.h"
#include "conv.h"

namespace mimo {

// Signature (8 ints): batchA batchB batchOut M K N transA transB.
// A batch of 1 on one side broadcasts against the other.
namespace {
struct MatmulEntry {
  matmul::primitive_desc pd;
  matmul prim;
};
thread_local std::unordered_map<std::string, std::unique_ptr<MatmulEntry>> matmul_cache;
}  // namespace

void clear_matmul_cache() { matmul_cache.clear(); }

// matmul(a, b, bias|null, c, sig Int32Array(8), act, alpha); bias has N floats.
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto sig = ints(info[4], 8, "matmul sig");
  int64_t ba = sig[0], bb = sig[1], bo = sig[2], M = sig[3], K = sig[4], N = sig[5];
  bool ta = sig[6] != 0, tb = sig[7] != 0;
  bool with_bias = !info[2].IsNull() && !info[2].IsUndefined();
  int act = info[5].As<Napi::Number>().Int32Value();
  float alpha = info[6].As<Napi::Number>().FloatValue();
  check_len(env, info[0], ba * M * K, "matmul a");
  check_len(env, info[1], bb * K * N, "matmul b");
  check_len(env, info[3], bo * M * N, "matmul c");
  if (with_bias) check_len(env, info[2], N, "matmul bias");
  memory::desc amd({ba, M, K}, dt::f32, ta ? dims{M * K, 1, M} : dims{M * K, K, 1});
  memory::desc bmd({bb, K, N}, dt::f32, tb ? dims{K * N, 1, K} : dims{K * N, N, 1});
  memory::desc cmd({bo, M, N}, dt::f32, dims{M * N, N, 1});
  memory::desc biasmd({1, 1, N}, dt::f32, dims{N, N, 1});
  auto key = fused_key('M', sig, with_bias, act, alpha);
  auto it = matmul_cache.find(key);
  if (it == matmul_cache.end()) {
    auto d = with_bias ? matmul::desc(amd, bmd, biasmd, cmd) : matmul::desc(amd, bmd, cmd);
    auto e = std::make_unique<MatmulEntry>();
    e->pd = matmul::primitive_desc(d, with_user_scratchpad(act_attr(act, alpha)), eng());
    e->prim = matmul(e->pd);
    it = matmul_cache.emplace(key, std::move(e)).first;
  }
  auto& e = *it->second;
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(amd, eng(), f32(info[0], "a"))},
                                       {DNNL_ARG_WEIGHTS, memory(bmd, eng(), f32(info[1], "b"))},
                                       {DNNL_ARG_DST, memory(cmd, eng(), f32(info[3], "c"))}};
  if (with_bias) args[DNNL_ARG_BIAS] = memory(biasmd, eng(), f32(info[2], "bias"));
  args[DNNL_ARG_SCRATCHPAD] = arena_memory(e.pd.scratchpad_desc(), SLOT_SCRATCH);
  e.prim.execute(strm(), args);
  strm().wait();
  return env.Undefined();
}

}  // namespace mimo
