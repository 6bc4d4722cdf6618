// Convolutions through oneDNN: one cached primitive per shape signature and direction, and one
// path (run_conv) that every entry point takes: the caller's arrays are reordered into the
// layouts the primitive chose where they differ, the primitive runs, the output is reordered back.
#include "conv.h"

#include "ops.h"
#include "winograd.h"

namespace mimo {

WinoMode wino_mode() {
  static const WinoMode m = [] {
    const char* e = std::getenv("MIMO_CONV_WINOGRAD");
    const std::string v = e ? e : "";
    return v == "0" ? WinoMode::Off : v == "own" ? WinoMode::Own : WinoMode::Auto;
  }();
  return m;
}

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
    // PReLU: applied by Conv2dForward after the primitive (oneDNN 2.6's PReLU post-op sends
    // convolutions to its reference kernel, ~100x slower).
    case ACT_PRELU: return attr;
    default: throw std::runtime_error("unknown activation code " + std::to_string(act));
  }
  attr.set_post_ops(ops);
  return attr;
}

// The forward primitive descriptor: Winograd where eligible and available, else direct.
convolution_forward::primitive_desc conv_fwd_pd(const Conv& s, bool with_bias, const primitive_attr& attr) {
  if (s.wino()) {
    try {
      return convolution_forward::primitive_desc(s.fwd_desc(with_bias, true), attr, eng());
    } catch (const dnnl::error&) {
      // not available for this shape / post-op: direct below
    }
  }
  return convolution_forward::primitive_desc(s.fwd_desc(with_bias), attr, eng());
}

bool is_wino(const convolution_forward::primitive_desc& pd) {
  return std::string(pd.impl_info_str()).find("wino") != std::string::npos;
}

namespace {

// An array moved between the caller's layout (hwio weights, nhwc activations) and the layout
// a primitive chose: a reorder made once per cached primitive, and a buffer in that layout:
// the entry's own (weights: small) or an arena slot (activations: as large as the batch).
// `to_prim` reorders the caller's array in (an input); the other direction copies the
// primitive's result out (an output or gradient).
struct ArrayLayout {
  bool need = false;
  int slot = -1;
  memory::desc md;
  memory own;
  reorder r;
  void init(const memory::desc& prim_md, const memory::desc& user_md, bool to_prim, int arena_slot = -1) {
    need = prim_md != user_md;
    if (!need) return;
    md = prim_md;
    slot = arena_slot;
    if (slot < 0) own = memory(prim_md, eng());
    r = to_prim ? reorder(reorder::primitive_desc(eng(), user_md, eng(), prim_md))
                : reorder(reorder::primitive_desc(eng(), prim_md, eng(), user_md));
  }
  memory buffer() const { return slot < 0 ? own : arena_memory(md, slot); }
  // The array to hand to the primitive (reordered in when needed).
  memory in(memory user) {
    if (!need) return user;
    memory m = buffer();
    r.execute(strm(), user, m);
    return m;
  }
  // Where the primitive should write; pass the same memory to out() after it ran.
  memory target(const memory& user) const { return need ? buffer() : user; }
  void out(memory written, memory user) {
    if (need) r.execute(strm(), written, user);
  }
};

// A backward primitive descriptor (P = convolution_backward_data / _weights) with the same
// algorithm as the forward one; direct if Winograd is not available for this direction.
template <class P>
typename P::primitive_desc conv_backward_pd(const Conv& s) {
  auto make = [&](const convolution_forward::primitive_desc& hint, bool wino) {
    const tag t = wino ? tag::any : tag::nhwc;
    typename P::desc d(wino ? algorithm::convolution_winograd : algorithm::convolution_direct,
                       s.src(t), s.wei(), s.dst(t), s.strides(), s.dil(), s.padl(), s.padr());
    return typename P::primitive_desc(d, with_user_scratchpad(primitive_attr()), eng(), hint);
  };
  auto hint = conv_fwd_pd(s, false, primitive_attr());
  if (is_wino(hint)) {
    try {
      return make(hint, true);
    } catch (const dnnl::error&) {
      // no Winograd for this direction: direct below
    }
    hint = convolution_forward::primitive_desc(s.fwd_desc(false), eng());
  }
  return make(hint, false);
}

// A cached primitive (forward, backward data or backward weights): two inputs and one output,
// each with the DNNL argument it binds to, the caller's layout and the move into the primitive's.
struct ConvPrim {
  struct Port {
    int arg;
    memory::desc user;
    ArrayLayout lay;
  };
  primitive prim;
  memory::desc scratch;
  std::string impl;
  Port a, b, out;
};
// The primitive's and the caller's layout of one argument, and where a reordered copy lives
// (an arena slot; -1: the entry's own memory, for weights).
struct PortSpec {
  int arg;
  memory::desc prim, user;
  int slot;
};

template <class Prim, class PD>
std::unique_ptr<ConvPrim> make_conv_prim(const PD& pd, const PortSpec& a, const PortSpec& b, const PortSpec& out) {
  auto e = std::make_unique<ConvPrim>();
  e->prim = Prim(pd);
  e->scratch = pd.scratchpad_desc();
  e->impl = pd.impl_info_str();
  auto set = [](ConvPrim::Port& p, const PortSpec& s, bool to_prim) {
    p.arg = s.arg;
    p.user = s.user;
    p.lay.init(s.prim, s.user, to_prim, s.slot);
  };
  set(e->a, a, true);
  set(e->b, b, true);
  set(e->out, out, false);
  return e;
}

// Per thread, like the arena their primitives work in. Keys start with the direction: F, D, W.
thread_local std::unordered_map<std::string, std::unique_ptr<ConvPrim>> conv_cache;

template <class Make>
ConvPrim& cached(const std::string& key, Make make) {
  auto it = conv_cache.find(key);
  if (it == conv_cache.end()) it = conv_cache.emplace(key, make()).first;
  return *it->second;
}

// Runs a cached primitive on the caller's arrays (bias: forward only, or null).
void run_conv(ConvPrim& e, float* a, float* b, float* out, float* bias, const memory::desc& bias_md) {
  std::unordered_map<int, memory> args;
  args[e.a.arg] = e.a.lay.in(memory(e.a.user, eng(), a));
  args[e.b.arg] = e.b.lay.in(memory(e.b.user, eng(), b));
  memory user(e.out.user, eng(), out);
  memory target = e.out.lay.target(user);
  args[e.out.arg] = target;
  if (bias) args[DNNL_ARG_BIAS] = memory(bias_md, eng(), bias);
  args[DNNL_ARG_SCRATCHPAD] = arena_memory(e.scratch, SLOT_SCRATCH);
  e.prim.execute(strm(), args);
  e.out.lay.out(target, user);
  strm().wait();
}

ConvPrim& conv_fwd(const std::vector<int64_t>& sig, bool with_bias, int act, float alpha) {
  return cached(fused_key('F', sig, with_bias, act, alpha), [&] {
    const Conv s(sig);
    const auto pd = conv_fwd_pd(s, with_bias, with_user_scratchpad(act_attr(act, alpha)));
    return make_conv_prim<convolution_forward>(pd, {DNNL_ARG_SRC, pd.src_desc(), s.src(), SLOT_IN},
                                               {DNNL_ARG_WEIGHTS, pd.weights_desc(), s.wei(tag::hwio), -1},
                                               {DNNL_ARG_DST, pd.dst_desc(), s.dst(), SLOT_OUT});
  });
}

ConvPrim& conv_bwd_data(const std::vector<int64_t>& sig) {
  return cached(key_of('D', sig), [&] {
    const Conv s(sig);
    const auto pd = conv_backward_pd<convolution_backward_data>(s);
    return make_conv_prim<convolution_backward_data>(pd, {DNNL_ARG_DIFF_DST, pd.diff_dst_desc(), s.dst(), SLOT_IN},
                                                     {DNNL_ARG_WEIGHTS, pd.weights_desc(), s.wei(tag::hwio), -1},
                                                     {DNNL_ARG_DIFF_SRC, pd.diff_src_desc(), s.src(), SLOT_OUT});
  });
}

ConvPrim& conv_bwd_weights(const std::vector<int64_t>& sig) {
  return cached(key_of('W', sig), [&] {
    const Conv s(sig);
    const auto pd = conv_backward_pd<convolution_backward_weights>(s);
    return make_conv_prim<convolution_backward_weights>(pd, {DNNL_ARG_SRC, pd.src_desc(), s.src(), SLOT_IN},
                                                        {DNNL_ARG_DIFF_DST, pd.diff_dst_desc(), s.dst(), SLOT_OUT},
                                                        {DNNL_ARG_DIFF_WEIGHTS, pd.diff_weights_desc(), s.wei(tag::hwio), -1});
  });
}

}  // namespace

std::string conv_impl_info(const std::vector<int64_t>& sig) {
  if (own_wino(Conv(sig))) return "mimo_wino_4x3";
  return conv_fwd(sig, false, ACT_NONE, 0.f).impl;
}

void clear_conv_cache() { conv_cache.clear(); }

// conv2dForward(x, w, bias|null, y, sig Int32Array(17), act, alpha[, preluSlopes])
// With act = ACT_PRELU, preluSlopes holds one slope per output channel or one in all (alpha
// is then ignored).
Napi::Value Conv2dForward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto sig = ints(info[4], 17, "conv2dForward sig");
  Conv s(sig);
  bool with_bias = !info[2].IsNull() && !info[2].IsUndefined();
  int act = info[5].As<Napi::Number>().Int32Value();
  float alpha = info[6].As<Napi::Number>().FloatValue();
  int64_t slopes = 0;
  if (act == ACT_PRELU) {
    slopes = f32len(info[7]);
    if (slopes != 1 && slopes != s.o)
      throw Napi::RangeError::New(env, "conv2dForward: PReLU slopes must be 1 or " + std::to_string(s.o) + " floats, got " + std::to_string(slopes));
  }
  check_len(env, info[0], s.n * s.h * s.w * s.c, "conv2dForward x");
  check_len(env, info[1], s.kh * s.kw * s.c * s.o, "conv2dForward w");
  check_len(env, info[3], s.n * s.oh * s.ow * s.o, "conv2dForward y");
  if (with_bias) check_len(env, info[2], s.o, "conv2dForward bias");
  if (own_wino(s)) {
    own_wino_forward(s, f32(info[0], "x"), f32(info[1], "w"), with_bias ? f32(info[2], "bias") : nullptr, act, alpha, f32(info[3], "y"));
  } else {
    run_conv(conv_fwd(sig, with_bias, act, alpha), f32(info[0], "x"), f32(info[1], "w"), f32(info[3], "y"),
             with_bias ? f32(info[2], "bias") : nullptr, s.bias());
  }
  if (act == ACT_PRELU) {
    // In place over y viewed as [rows, o], in kTile runs against the tiled slopes.
    const float* a = f32(info[7], "preluSlopes");
    float* yv = f32(info[3], "y");
    const int64_t rows = s.n * s.oh * s.ow, o = s.o;
    auto f = [](float x, float al) { return x * (x < 0 ? al : 1.f); };
    if (slopes == 1) {
      const int64_t total = rows * o, nch = chunks_for(total);
      const float al = a[0];
#pragma omp parallel for if (nch > 1) schedule(static, 1)
      for (int64_t c = 0; c < nch; c++)
        for (int64_t i = total * c / nch, hi = total * (c + 1) / nch; i < hi; i++) yv[i] = f(yv[i], al);
    } else {
      binary_channel_exec(f, rows, o, true, yv, a, yv);
    }
  }
  return env.Undefined();
}

namespace {

// The two backward entry points: (a, b, out, sig), with a, b, out = dy, w, dx (data) or x, dy, dw
// (weights), each checked against its shape.
Napi::Value conv_backward(const Napi::CallbackInfo& info, const std::string& name, bool data) {
  auto env = info.Env();
  auto sig = ints(info[3], 17, (name + " sig").c_str());
  Conv s(sig);
  const int64_t xs = s.n * s.h * s.w * s.c, ys = s.n * s.oh * s.ow * s.o, ws = s.kh * s.kw * s.c * s.o;
  const char* const args[3] = {data ? "dy" : "x", data ? "w" : "dy", data ? "dx" : "dw"};
  const int64_t lens[3] = {data ? ys : xs, data ? ws : ys, data ? xs : ws};
  float* p[3];
  for (int i = 0; i < 3; i++) {
    check_len(env, info[i], lens[i], (name + " " + args[i]).c_str());
    p[i] = f32(info[i], args[i]);
  }
  if (own_wino(s)) {
    if (data) own_wino_backward_data(s, p[0], p[1], p[2]);
    else own_wino_backward_weights(s, p[0], p[1], p[2]);
  } else {
    run_conv(data ? conv_bwd_data(sig) : conv_bwd_weights(sig), p[0], p[1], p[2], nullptr, {});
  }
  return env.Undefined();
}

}  // namespace

// conv2dBackwardData(dy, w, dx, sig)
Napi::Value Conv2dBackwardData(const Napi::CallbackInfo& info) { return conv_backward(info, "conv2dBackwardData", true); }

// conv2dBackwardWeights(x, dy, dw, sig)
Napi::Value Conv2dBackwardWeights(const Napi::CallbackInfo& info) { return conv_backward(info, "conv2dBackwardWeights", false); }

}  // namespace mimo
