// mimonets native kernels: a thin N-API layer over oneDNN 2.x (Debian libdnnl-dev).
//
// Every entry point takes caller-owned Float32Arrays (inputs and the output), so no
// tensor data is ever copied across the JS/C++ boundary. Primitives are cached by
// their full shape signature: creating a oneDNN primitive costs milliseconds, running
// one on a small tensor can cost microseconds.
//
// Layouts: activations are NHWC (tfjs's layout) and passed as such to oneDNN. Weights
// are HWIO in tfjs; oneDNN is told `format_tag::any` for them and we reorder once per
// call into its blocked layout, because plain hwio/ohwi weights make oneDNN fall back
// to its reference kernel (orders of magnitude slower).
#include <napi.h>
#include <omp.h>

#include <cstring>
#include <dnnl.hpp>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
using dims = memory::dims;

namespace {

engine& eng() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
stream& strm() {
  static stream s(eng());
  return s;
}

float* f32(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected a Float32Array");
  auto a = v.As<Napi::Float32Array>();
  return a.Data();
}
size_t f32len(const Napi::Value& v) { return v.As<Napi::Float32Array>().ElementLength(); }

std::vector<int64_t> ints(const Napi::Value& v, size_t n, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected an Int32Array");
  auto a = v.As<Napi::Int32Array>();
  if (a.ElementLength() != n)
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected " + std::to_string(n) +
                                            " ints, got " + std::to_string(a.ElementLength()));
  return std::vector<int64_t>(a.Data(), a.Data() + n);
}

std::string key_of(char kind, const std::vector<int64_t>& v) {
  std::string k(1, kind);
  k.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(int64_t));
  return k;
}

void check_len(const Napi::Env& env, const Napi::Value& v, size_t want, const char* what) {
  if (f32len(v) != want)
    throw Napi::RangeError::New(env, std::string(what) + ": expected " + std::to_string(want) +
                                         " floats, got " + std::to_string(f32len(v)));
}

// ---------------------------------------------------------------- convolution
// Shape signature (17 ints): n h w c kh kw o oh ow sh sw dh dw pt pl pb pr
// (dh, dw are tfjs dilations, >= 1; oneDNN counts dilation from 0).
struct Conv {
  int64_t n, h, w, c, kh, kw, o, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;
  explicit Conv(const std::vector<int64_t>& s)
      : n(s[0]), h(s[1]), w(s[2]), c(s[3]), kh(s[4]), kw(s[5]), o(s[6]), oh(s[7]), ow(s[8]),
        sh(s[9]), sw(s[10]), dh(s[11]), dw(s[12]), pt(s[13]), pl(s[14]), pb(s[15]), pr(s[16]) {}
  memory::desc src(tag t = tag::nhwc) const { return {{n, c, h, w}, dt::f32, t}; }
  memory::desc dst(tag t = tag::nhwc) const { return {{n, o, oh, ow}, dt::f32, t}; }
  memory::desc wei(tag t = tag::any) const { return {{o, c, kh, kw}, dt::f32, t}; }
  memory::desc bias() const { return {{o}, dt::f32, tag::x}; }
  dims strides() const { return {sh, sw}; }
  dims dil() const { return {dh - 1, dw - 1}; }
  dims padl() const { return {pt, pl}; }
  dims padr() const { return {pb, pr}; }
  convolution_forward::desc fwd_desc(bool with_bias) const {
    if (with_bias)
      return {prop_kind::forward_training, algorithm::convolution_direct, src(), wei(), bias(),
              dst(), strides(), dil(), padl(), padr()};
    return {prop_kind::forward_training, algorithm::convolution_direct, src(), wei(), dst(),
            strides(), dil(), padl(), padr()};
  }
};

// Activation codes shared with src/backend/native_kernels.ts.
enum Act { ACT_NONE = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_ELU = 3, ACT_SIGMOID = 4, ACT_LEAKY = 5 };

primitive_attr act_attr(int act, float alpha) {
  primitive_attr attr;
  if (act == ACT_NONE) return attr;
  post_ops ops;
  switch (act) {
    case ACT_RELU: ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f); break;
    case ACT_RELU6: ops.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 6.f); break;
    case ACT_ELU: ops.append_eltwise(1.f, algorithm::eltwise_elu, 1.f, 0.f); break;
    case ACT_SIGMOID: ops.append_eltwise(1.f, algorithm::eltwise_logistic, 0.f, 0.f); break;
    case ACT_LEAKY: ops.append_eltwise(1.f, algorithm::eltwise_relu, alpha, 0.f); break;
    default: throw std::runtime_error("unknown activation code " + std::to_string(act));
  }
  attr.set_post_ops(ops);
  return attr;
}

struct ConvFwdEntry {
  convolution_forward::primitive_desc pd;
  convolution_forward prim;
  memory wmem;  // weights in oneDNN's chosen layout
  reorder wreorder;
  bool need_reorder;
};

struct ConvBwdDataEntry {
  convolution_backward_data::primitive_desc pd;
  convolution_backward_data prim;
  memory wmem;
  reorder wreorder;
  bool need_reorder;
};

struct ConvBwdWeightsEntry {
  convolution_backward_weights::primitive_desc pd;
  convolution_backward_weights prim;
  memory dwmem;
  reorder dwreorder;
  bool need_reorder;
};

std::unordered_map<std::string, std::unique_ptr<ConvFwdEntry>> conv_fwd_cache;
std::unordered_map<std::string, std::unique_ptr<ConvBwdDataEntry>> conv_bwd_data_cache;
std::unordered_map<std::string, std::unique_ptr<ConvBwdWeightsEntry>> conv_bwd_w_cache;

ConvFwdEntry& conv_fwd_entry(const std::vector<int64_t>& sig, bool with_bias, int act, float alpha) {
  std::vector<int64_t> k = sig;
  k.push_back(with_bias);
  k.push_back(act);
  int32_t abits;
  std::memcpy(&abits, &alpha, 4);
  k.push_back(abits);
  auto key = key_of('F', k);
  auto it = conv_fwd_cache.find(key);
  if (it != conv_fwd_cache.end()) return *it->second;
  Conv s(sig);
  auto pd = convolution_forward::primitive_desc(s.fwd_desc(with_bias), act_attr(act, alpha), eng());
  auto e = std::make_unique<ConvFwdEntry>();
  e->pd = pd;
  e->prim = convolution_forward(pd);
  e->need_reorder = pd.weights_desc() != s.wei(tag::hwio);
  if (e->need_reorder) {
    e->wmem = memory(pd.weights_desc(), eng());
    e->wreorder = reorder(reorder::primitive_desc(eng(), s.wei(tag::hwio), eng(), e->wmem.get_desc()));
  }
  auto& ref = *e;
  conv_fwd_cache.emplace(key, std::move(e));
  return ref;
}

// conv2dForward(x, w, bias|null, y, sig Int32Array(17), act, alpha)
Napi::Value Conv2dForward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto sig = ints(info[4], 17, "conv2dForward sig");
  Conv s(sig);
  bool with_bias = !info[2].IsNull() && !info[2].IsUndefined();
  int act = info[5].As<Napi::Number>().Int32Value();
  float alpha = info[6].As<Napi::Number>().FloatValue();
  check_len(env, info[0], s.n * s.h * s.w * s.c, "conv2dForward x");
  check_len(env, info[1], s.kh * s.kw * s.c * s.o, "conv2dForward w");
  check_len(env, info[3], s.n * s.oh * s.ow * s.o, "conv2dForward y");
  if (with_bias) check_len(env, info[2], s.o, "conv2dForward bias");
  auto& e = conv_fwd_entry(sig, with_bias, act, alpha);
  memory x(s.src(), eng(), f32(info[0], "x"));
  memory wuser(s.wei(tag::hwio), eng(), f32(info[1], "w"));
  memory y(s.dst(), eng(), f32(info[3], "y"));
  memory w = wuser;
  if (e.need_reorder) {
    e.wreorder.execute(strm(), wuser, e.wmem);
    w = e.wmem;
  }
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, y}};
  if (with_bias) args[DNNL_ARG_BIAS] = memory(s.bias(), eng(), f32(info[2], "bias"));
  e.prim.execute(strm(), args);
  strm().wait();
  return env.Undefined();
}

// conv2dBackwardData(dy, w, dx, sig)
Napi::Value Conv2dBackwardData(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto sig = ints(info[3], 17, "conv2dBackwardData sig");
  Conv s(sig);
  check_len(env, info[0], s.n * s.oh * s.ow * s.o, "conv2dBackwardData dy");
  check_len(env, info[1], s.kh * s.kw * s.c * s.o, "conv2dBackwardData w");
  check_len(env, info[2], s.n * s.h * s.w * s.c, "conv2dBackwardData dx");
  auto key = key_of('D', sig);
  auto it = conv_bwd_data_cache.find(key);
  if (it == conv_bwd_data_cache.end()) {
    auto hint = convolution_forward::primitive_desc(s.fwd_desc(false), eng());
    convolution_backward_data::desc d(algorithm::convolution_direct, s.src(), s.wei(), s.dst(),
                                      s.strides(), s.dil(), s.padl(), s.padr());
    auto e = std::make_unique<ConvBwdDataEntry>();
    e->pd = convolution_backward_data::primitive_desc(d, eng(), hint);
    e->prim = convolution_backward_data(e->pd);
    e->need_reorder = e->pd.weights_desc() != s.wei(tag::hwio);
    if (e->need_reorder) {
      e->wmem = memory(e->pd.weights_desc(), eng());
      e->wreorder = reorder(reorder::primitive_desc(eng(), s.wei(tag::hwio), eng(), e->wmem.get_desc()));
    }
    it = conv_bwd_data_cache.emplace(key, std::move(e)).first;
  }
  auto& e = *it->second;
  memory dy(s.dst(), eng(), f32(info[0], "dy"));
  memory wuser(s.wei(tag::hwio), eng(), f32(info[1], "w"));
  memory dx(s.src(), eng(), f32(info[2], "dx"));
  memory w = wuser;
  if (e.need_reorder) {
    e.wreorder.execute(strm(), wuser, e.wmem);
    w = e.wmem;
  }
  e.prim.execute(strm(), {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx}});
  strm().wait();
  return env.Undefined();
}

// conv2dBackwardWeights(x, dy, dw, sig)
Napi::Value Conv2dBackwardWeights(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto sig = ints(info[3], 17, "conv2dBackwardWeights sig");
  Conv s(sig);
  check_len(env, info[0], s.n * s.h * s.w * s.c, "conv2dBackwardWeights x");
  check_len(env, info[1], s.n * s.oh * s.ow * s.o, "conv2dBackwardWeights dy");
  check_len(env, info[2], s.kh * s.kw * s.c * s.o, "conv2dBackwardWeights dw");
  auto key = key_of('W', sig);
  auto it = conv_bwd_w_cache.find(key);
  if (it == conv_bwd_w_cache.end()) {
    auto hint = convolution_forward::primitive_desc(s.fwd_desc(false), eng());
    convolution_backward_weights::desc d(algorithm::convolution_direct, s.src(), s.wei(), s.dst(),
                                         s.strides(), s.dil(), s.padl(), s.padr());
    auto e = std::make_unique<ConvBwdWeightsEntry>();
    e->pd = convolution_backward_weights::primitive_desc(d, eng(), hint);
    e->prim = convolution_backward_weights(e->pd);
    e->need_reorder = e->pd.diff_weights_desc() != s.wei(tag::hwio);
    if (e->need_reorder) {
      e->dwmem = memory(e->pd.diff_weights_desc(), eng());
      e->dwreorder = reorder(reorder::primitive_desc(eng(), e->dwmem.get_desc(), eng(), s.wei(tag::hwio)));
    }
    it = conv_bwd_w_cache.emplace(key, std::move(e)).first;
  }
  auto& e = *it->second;
  memory x(s.src(), eng(), f32(info[0], "x"));
  memory dy(s.dst(), eng(), f32(info[1], "dy"));
  memory dwuser(s.wei(tag::hwio), eng(), f32(info[2], "dw"));
  memory dw = e.need_reorder ? e.dwmem : dwuser;
  e.prim.execute(strm(), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw}});
  if (e.need_reorder) e.dwreorder.execute(strm(), e.dwmem, dwuser);
  strm().wait();
  return env.Undefined();
}

// ---------------------------------------------------------------- matmul
// Signature (8 ints): batchA batchB batchOut M K N transA transB.
// A batch of 1 on one side broadcasts against the other.
struct MatmulEntry {
  matmul::primitive_desc pd;
  matmul prim;
};
std::unordered_map<std::string, std::unique_ptr<MatmulEntry>> matmul_cache;

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
  std::vector<int64_t> k = sig;
  k.push_back(with_bias);
  k.push_back(act);
  int32_t abits;
  std::memcpy(&abits, &alpha, 4);
  k.push_back(abits);
  auto key = key_of('M', k);
  auto it = matmul_cache.find(key);
  if (it == matmul_cache.end()) {
    auto d = with_bias ? matmul::desc(amd, bmd, biasmd, cmd) : matmul::desc(amd, bmd, cmd);
    auto e = std::make_unique<MatmulEntry>();
    e->pd = matmul::primitive_desc(d, act_attr(act, alpha), eng());
    e->prim = matmul(e->pd);
    it = matmul_cache.emplace(key, std::move(e)).first;
  }
  auto& e = *it->second;
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(amd, eng(), f32(info[0], "a"))},
                                       {DNNL_ARG_WEIGHTS, memory(bmd, eng(), f32(info[1], "b"))},
                                       {DNNL_ARG_DST, memory(cmd, eng(), f32(info[3], "c"))}};
  if (with_bias) args[DNNL_ARG_BIAS] = memory(biasmd, eng(), f32(info[2], "bias"));
  e.prim.execute(strm(), args);
  strm().wait();
  return env.Undefined();
}

// ---------------------------------------------------------------- housekeeping
Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "setNumThreads: need at least 1 thread");
  omp_set_num_threads(n);
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

// Which oneDNN implementation serves a conv forward of this signature ("jit:avx2", ...).
Napi::Value ConvImplInfo(const Napi::CallbackInfo& info) {
  auto sig = ints(info[0], 17, "convImplInfo sig");
  auto& e = conv_fwd_entry(sig, false, ACT_NONE, 0.f);
  return Napi::String::New(info.Env(), e.pd.impl_info_str());
}

Napi::Value ClearCache(const Napi::CallbackInfo& info) {
  conv_fwd_cache.clear();
  conv_bwd_data_cache.clear();
  conv_bwd_w_cache.clear();
  matmul_cache.clear();
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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2dForward", Napi::Function::New<guarded<Conv2dForward>>(env));
  exports.Set("conv2dBackwardData", Napi::Function::New<guarded<Conv2dBackwardData>>(env));
  exports.Set("conv2dBackwardWeights", Napi::Function::New<guarded<Conv2dBackwardWeights>>(env));
  exports.Set("matmul", Napi::Function::New<guarded<Matmul>>(env));
  exports.Set("setNumThreads", Napi::Function::New<guarded<SetNumThreads>>(env));
  exports.Set("getNumThreads", Napi::Function::New<guarded<GetNumThreads>>(env));
  exports.Set("convImplInfo", Napi::Function::New<guarded<ConvImplInfo>>(env));
  exports.Set("clearCache", Napi::Function::New<guarded<ClearCache>>(env));
  exports.Set("version", Napi::Function::New<guarded<Version>>(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(mimo_native, Init)
