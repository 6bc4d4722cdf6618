// mimonets native kernels: a thin N-API layer over oneDNN 2.x (Debian libdnnl-dev) for
// convolutions and matmuls, plus OpenMP loops for the float32 elementwise ops,
// reductions, Tile and batch norm that tfjs's cpu backend would otherwise run in JS, and a
// Winograd convolution (transforms here, products by oneDNN's sgemm) where oneDNN has none.
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
#include <malloc.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dnnl.hpp>
#include <memory>
#include <string>
#include <type_traits>
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
// One stream per thread, like the primitive caches below: `mimo serve` runs inference on a
// worker thread while the main thread may run models too.
stream& strm() {
  static thread_local stream s(eng());
  return s;
}

// Primitives get their scratchpad from the calling thread's arena (user mode) rather than
// oneDNN's shared global one, which two threads executing at once (e.g. Winograd's transform
// buffers) would corrupt.
primitive_attr with_user_scratchpad(primitive_attr a) {
  a.set_scratchpad_mode(scratchpad_mode::user);
  return a;
}

// Per-thread working memory of the primitives: the scratchpad and the blocked copies of the
// activations around a Winograd convolution. Cache entries used to own these, so memory grew
// with every cached shape (a MIMONet-16-4 training step at n=1 and 4 on 128 images: 3.67 GB
// resident, 2.69 GB with the arena). One call on a thread uses them at a time, so each thread
// keeps one buffer per slot, grown to the largest request and reused by every primitive.
enum Slot { SLOT_SCRATCH = 0, SLOT_IN = 1, SLOT_OUT = 2, kSlots = 3 };
class Arena {
 public:
  ~Arena() {
    for (auto& b : bufs_) std::free(b.p);
  }
  // At least `bytes` (64-byte aligned) for `slot`; valid until the next get of that slot.
  void* get(int slot, size_t bytes) {
    auto& b = bufs_[slot];
    if (bytes > b.size || b.p == nullptr) {
      const size_t size = std::max<size_t>(64, (bytes + 63) / 64 * 64);
      std::free(b.p);
      b.p = std::aligned_alloc(64, size);
      b.size = b.p ? size : 0;
      if (!b.p) throw std::runtime_error("out of memory: " + std::to_string(size) + " bytes of primitive working memory");
    }
    return b.p;
  }

 private:
  struct Buf {
    void* p = nullptr;
    size_t size = 0;
  };
  Buf bufs_[kSlots];
};
Arena& arena() {
  static thread_local Arena a;
  return a;
}
// A memory object for `md` over the thread's buffer for `slot`.
memory arena_memory(const memory::desc& md, int slot) { return memory(md, eng(), arena().get(slot, md.get_size())); }

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

// The interface version src/backend/addon.ts expects (ADDON_ABI): bump both whenever an
// export is added or changes its arguments, so a stale build is refused, not half-used.
constexpr int kAbi = 2;

// Below this many elements an op runs on the calling thread: an OpenMP fork/join costs
// microseconds, more than the whole op.
constexpr int64_t kParMin = 32768;

// ---------------------------------------------------------------- convolution
// MIMO_CONV_WINOGRAD: 0 = never Winograd, own = ours (below) on every machine, else oneDNN's
// where it has one (AVX-512) and ours elsewhere.
enum class WinoMode { Off, Auto, Own };
WinoMode wino_mode() {
  static const WinoMode m = [] {
    const char* e = std::getenv("MIMO_CONV_WINOGRAD");
    const std::string v = e ? e : "";
    return v == "0" ? WinoMode::Off : v == "own" ? WinoMode::Own : WinoMode::Auto;
  }();
  return m;
}

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
  // Activations stay NHWC for the direct algorithm; Winograd needs oneDNN's blocked layout
  // (tag::any), reordered in and out around the primitive.
  convolution_forward::desc fwd_desc(bool with_bias, bool wino = false) const {
    const auto alg = wino ? algorithm::convolution_winograd : algorithm::convolution_direct;
    const tag t = wino ? tag::any : tag::nhwc;
    if (with_bias)
      return {prop_kind::forward_training, alg, src(t), wei(), bias(), dst(t), strides(), dil(), padl(), padr()};
    return {prop_kind::forward_training, alg, src(t), wei(), dst(t), strides(), dil(), padl(), padr()};
  }
  // Winograd F(4x4, 3x3): 3x3, stride 1, no dilation, at least 32 channels in and out (oneDNN's,
  // measured on one thread: 1.5-1.9x the direct kernel at 64-128 channels even with the layout
  // reorders, slower at 16; where oneDNN has none, ours: see own_wino). MIMO_CONV_WINOGRAD=0
  // turns it off.
  bool wino() const {
    return wino_mode() != WinoMode::Off && kh == 3 && kw == 3 && sh == 1 && sw == 1 && dh == 1 && dw == 1 && c >= 32 && o >= 32;
  }
};

// Activation codes shared with src/backend/kernel_util.ts (activationCode, PRELU_ACT).
enum Act { ACT_NONE = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_ELU = 3, ACT_SIGMOID = 4, ACT_LEAKY = 5, ACT_PRELU = 6 };

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

// x, y / dy, dx: the activations' layouts (no-ops unless the primitive is Winograd).
struct ConvFwdEntry {
  convolution_forward::primitive_desc pd;
  convolution_forward prim;
  ArrayLayout w, x, y;
};

struct ConvBwdDataEntry {
  convolution_backward_data::primitive_desc pd;
  convolution_backward_data prim;
  ArrayLayout w, dy, dx;
};

struct ConvBwdWeightsEntry {
  convolution_backward_weights::primitive_desc pd;
  convolution_backward_weights prim;
  ArrayLayout dw, x, dy;
};

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

// Per thread, like the arena their primitives work in.
thread_local std::unordered_map<std::string, std::unique_ptr<ConvFwdEntry>> conv_fwd_cache;
thread_local std::unordered_map<std::string, std::unique_ptr<ConvBwdDataEntry>> conv_bwd_data_cache;
thread_local std::unordered_map<std::string, std::unique_ptr<ConvBwdWeightsEntry>> conv_bwd_w_cache;

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
  auto pd = conv_fwd_pd(s, with_bias, with_user_scratchpad(act_attr(act, alpha)));
  auto e = std::make_unique<ConvFwdEntry>();
  e->pd = pd;
  e->prim = convolution_forward(pd);
  e->w.init(pd.weights_desc(), s.wei(tag::hwio), true);
  e->x.init(pd.src_desc(), s.src(), true, SLOT_IN);
  e->y.init(pd.dst_desc(), s.dst(), false, SLOT_OUT);
  auto& ref = *e;
  conv_fwd_cache.emplace(key, std::move(e));
  return ref;
}

int64_t chunks_for(int64_t n);

// A [c] vector repeated to at least kTile + c floats, so that tile + (i % c) read for
// kTile elements gives the vector's values for positions i, i+1, ... of a [rows, c] array.
constexpr int64_t kTile = 512;
std::vector<float> channel_tile(const float* v, int64_t c) {
  const int64_t len = (kTile / c + 2) * c;
  std::vector<float> t(len);
  for (int64_t i = 0; i < len; i++) t[i] = v[i % c];
  return t;
}

// [rows, c] op [c] (or [c] op [rows, c]) with a short c, e.g. a per-channel bias or PReLU
// slope on 16-channel activations: row-by-row runs of c elements do not vectorise well, so
// the vector is tiled and the array walked in runs of kTile elements.
template <class F>
void binary_channel_exec(F f, int64_t rows, int64_t c, bool a_full, const float* a, const float* b, float* o) {
  const int64_t total = rows * c;
  const auto tile = channel_tile(a_full ? b : a, c);
  const int64_t nch = chunks_for(total);
#pragma omp parallel for if (nch > 1) schedule(static, 1)
  for (int64_t ch = 0; ch < nch; ch++) {
    const int64_t lo = total * ch / nch, hi = total * (ch + 1) / nch;
    for (int64_t pos = lo; pos < hi; pos += kTile) {
      const int64_t n = std::min(kTile, hi - pos);
      const float* t = tile.data() + pos % c;
      // omp simd: o may be a itself (in place); each element only reads its own position.
      if (a_full) {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) o[pos + i] = f(a[pos + i], t[i]);
      } else {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) o[pos + i] = f(t[i], b[pos + i]);
      }
    }
  }
}

// ---------------------------------------------------------------- Winograd where oneDNN has none
// oneDNN 2.6 implements f32 Winograd for AVX-512 only. Elsewhere (AVX2 machines) the
// convolutions Conv::wino admits run this F(4x4, 3x3) (Lavin & Gray 2016, points 0, ±1, ±2, ∞):
// per 4x4 output tile the 6x6 input patch and the 3x3 filter are transformed (V = Bᵀ d B,
// U = G g Gᵀ), multiplied per transformed point as 36 GEMMs [tiles, C]·[C, O], and transformed
// back (Y = Aᵀ M A), block of tiles by block of tiles. Backward data is the same forward pass
// over dy with the filter flipped and transposed; backward weights is the adjoint of the
// filter's path: dU = Σ over blocks of Vᵀ·(A dY Aᵀ) as 36 GEMMs [C, tiles]·[tiles, O], then
// dg = Gᵀ dU G. MIMO_CONV_WINOGRAD=own uses it on every machine (tests), =0 turns Winograd off.
namespace wg {
constexpr int64_t kCB = 64;  // channels per block in the transforms (stack arrays of 36·kCB floats)

// One axis of a transform, over n channels: out[k·os + c] from in[i·is + c].
inline void bt6(const float* in, int64_t is, float* out, int64_t os, int64_t n) {  // Bᵀ: 6 -> 6
#pragma omp simd
  for (int64_t c = 0; c < n; c++) {
    const float d0 = in[c], d1 = in[is + c], d2 = in[2 * is + c], d3 = in[3 * is + c], d4 = in[4 * is + c], d5 = in[5 * is + c];
    out[c] = 4.f * d0 - 5.f * d2 + d4;
    out[os + c] = -4.f * (d1 + d2) + d3 + d4;
    out[2 * os + c] = 4.f * (d1 - d2) - d3 + d4;
    out[3 * os + c] = 2.f * (d3 - d1) - d2 + d4;
    out[4 * os + c] = 2.f * (d1 - d3) - d2 + d4;
    out[5 * os + c] = 4.f * d1 - 5.f * d3 + d5;
  }
}
inline void at4(const float* in, int64_t is, float* out, int64_t os, int64_t n) {  // Aᵀ: 6 -> 4
#pragma omp simd
  for (int64_t c = 0; c < n; c++) {
    const float m0 = in[c], m1 = in[is + c], m2 = in[2 * is + c], m3 = in[3 * is + c], m4 = in[4 * is + c], m5 = in[5 * is + c];
    const float p12 = m1 + m2, m12 = m1 - m2, p34 = m3 + m4, m34 = m3 - m4;
    out[c] = m0 + p12 + p34;
    out[os + c] = m12 + 2.f * m34;
    out[2 * os + c] = p12 + 4.f * p34;
    out[3 * os + c] = m12 + 8.f * m34 + m5;
  }
}
inline void a6(const float* in, int64_t is, float* out, int64_t os, int64_t n) {  // A: 4 -> 6
#pragma omp simd
  for (int64_t c = 0; c < n; c++) {
    const float e0 = in[c], e1 = in[is + c], e2 = in[2 * is + c], e3 = in[3 * is + c];
    out[c] = e0;
    out[os + c] = e0 + e1 + e2 + e3;
    out[2 * os + c] = e0 - e1 + e2 - e3;
    out[3 * os + c] = e0 + 2.f * e1 + 4.f * e2 + 8.f * e3;
    out[4 * os + c] = e0 - 2.f * e1 + 4.f * e2 - 8.f * e3;
    out[5 * os + c] = e3;
  }
}
inline void g6(const float* in, int64_t is, float* out, int64_t os, int64_t n) {  // G: 3 -> 6
#pragma omp simd
  for (int64_t c = 0; c < n; c++) {
    const float g0 = in[c], g1 = in[is + c], g2 = in[2 * is + c];
    out[c] = g0 / 4.f;
    out[os + c] = -(g0 + g1 + g2) / 6.f;
    out[2 * os + c] = -(g0 - g1 + g2) / 6.f;
    out[3 * os + c] = g0 / 24.f + g1 / 12.f + g2 / 6.f;
    out[4 * os + c] = g0 / 24.f - g1 / 12.f + g2 / 6.f;
    out[5 * os + c] = g2;
  }
}
inline void gt3(const float* in, int64_t is, float* out, int64_t os, int64_t n) {  // Gᵀ: 6 -> 3
#pragma omp simd
  for (int64_t c = 0; c < n; c++) {
    const float u0 = in[c], u1 = in[is + c], u2 = in[2 * is + c], u3 = in[3 * is + c], u4 = in[4 * is + c], u5 = in[5 * is + c];
    out[c] = u0 / 4.f - (u1 + u2) / 6.f + (u3 + u4) / 24.f;
    out[os + c] = (u2 - u1) / 6.f + (u3 - u4) / 12.f;
    out[2 * os + c] = (u3 + u4 - u1 - u2) / 6.f + u5;
  }
}

// Tiles of an [n, oh, ow] output: th x tw per image, T in all; t = (image·th + row)·tw + col.
struct Tiles {
  int64_t n, th, tw, T;
  Tiles(int64_t n_, int64_t oh, int64_t ow) : n(n_), th((oh + 3) / 4), tw((ow + 3) / 4), T(n_ * ((oh + 3) / 4) * ((ow + 3) / 4)) {}
  void at(int64_t t, int64_t& img, int64_t& r, int64_t& q) const { img = t / (th * tw); r = 4 * ((t / tw) % th); q = 4 * (t % tw); }
};

// An NHWC array [n, h, w, C] -> out [36][tn][C] for tiles t0 .. t0 + tn - 1: each tile's P x P patch
// starting at (r + dr, q + dc) (zero beyond the edges), transformed to 6 x 6 by F along both axes.
template <int64_t P, void (*F)(const float*, int64_t, float*, int64_t, int64_t)>
void patch_transform(const float* src, int64_t h, int64_t w, int64_t C, const Tiles& tl, int64_t dr, int64_t dc,
                     int64_t t0, int64_t tn, float* out) {
#pragma omp parallel for schedule(static) if (tn * C * 36 >= kParMin && !omp_in_parallel())  // blocks: already one per thread
  for (int64_t t = t0; t < t0 + tn; t++) {
    alignas(64) float d[P][P][kCB], tmp[6][P][kCB];
    int64_t img, r0, q0;
    tl.at(t, img, r0, q0);
    for (int64_t c0 = 0; c0 < C; c0 += kCB) {
      const int64_t cb = std::min(kCB, C - c0);
      for (int64_t i = 0; i < P; i++)
        for (int64_t j = 0; j < P; j++) {
          const int64_t r = r0 + dr + i, q = q0 + dc + j;
          if (r >= 0 && r < h && q >= 0 && q < w) std::memcpy(d[i][j], src + ((img * h + r) * w + q) * C + c0, cb * sizeof(float));
          else std::memset(d[i][j], 0, cb * sizeof(float));
        }
      for (int64_t j = 0; j < P; j++) F(&d[0][j][0], P * kCB, &tmp[0][j][0], P * kCB, cb);                       // along rows
      for (int64_t k = 0; k < 6; k++) F(&tmp[k][0][0], kCB, out + (k * 6 * tn + t - t0) * C + c0, tn * C, cb);  // along columns
    }
  }
}

// x [n, h, w, C] -> V [36][tn][C] (Bᵀ d B) for tiles t0 ..: tile t's 6x6 input patch starts at (r - pt, q - pl).
void input_transform(const float* x, int64_t h, int64_t w, int64_t C, const Tiles& tl, int64_t pt, int64_t pl,
                     int64_t t0, int64_t tn, float* V) {
  patch_transform<6, bt6>(x, h, w, C, tl, -pt, -pl, t0, tn, V);
}

inline float activate(float v, int act, float alpha) {
  switch (act) {
    case ACT_RELU: return v > 0.f ? v : 0.f;
    case ACT_RELU6: return std::min(std::max(v, 0.f), 6.f);
    case ACT_ELU: return v > 0.f ? v : std::expm1(v);
    case ACT_SIGMOID: return 1.f / (1.f + std::exp(-v));
    case ACT_LEAKY: return v > 0.f ? v : alpha * v;
    default: return v;  // none; PReLU is applied by the caller
  }
}

// M [36][tn][O] -> y [n, oh, ow, O] for tiles t0 ..: Aᵀ m A per tile, + bias, activation.
void output_transform(const float* M, int64_t oh, int64_t ow, int64_t O, const Tiles& tl, int64_t t0, int64_t tn,
                      const float* bias, int act, float alpha, float* y) {
#pragma omp parallel for schedule(static) if (tn * O * 36 >= kParMin && !omp_in_parallel())  // blocks: already one per thread
  for (int64_t t = t0; t < t0 + tn; t++) {
    alignas(64) float tmp[4][6][kCB], out[4][4][kCB];
    int64_t img, r0, q0;
    tl.at(t, img, r0, q0);
    for (int64_t o0 = 0; o0 < O; o0 += kCB) {
      const int64_t ob = std::min(kCB, O - o0);
      for (int64_t j = 0; j < 6; j++) at4(M + (j * tn + t - t0) * O + o0, 6 * tn * O, &tmp[0][j][0], 6 * kCB, ob);
      for (int64_t k = 0; k < 4; k++) at4(&tmp[k][0][0], kCB, &out[k][0][0], kCB, ob);
      for (int64_t k = 0; k < 4 && r0 + k < oh; k++)
        for (int64_t l = 0; l < 4 && q0 + l < ow; l++) {
          float* dst = y + ((img * oh + r0 + k) * ow + q0 + l) * O + o0;
          const float* v = out[k][l];
          if (bias) {
#pragma omp simd
            for (int64_t c = 0; c < ob; c++) dst[c] = v[c] + bias[o0 + c];
          } else {
            std::memcpy(dst, v, ob * sizeof(float));
          }
          if (act == ACT_RELU) {
#pragma omp simd
            for (int64_t c = 0; c < ob; c++) dst[c] = dst[c] > 0.f ? dst[c] : 0.f;
          } else if (act != ACT_NONE && act != ACT_PRELU) {
            for (int64_t c = 0; c < ob; c++) dst[c] = activate(dst[c], act, alpha);
          }
        }
    }
  }
}

// A filter-shaped array [I][I][C][O] -> out [J][J][C][O], F (I -> J) along both spatial axes.
template <int64_t I, int64_t J, void (*F)(const float*, int64_t, float*, int64_t, int64_t)>
void filter_map(const float* in, int64_t C, int64_t O, float* out) {
#pragma omp parallel for schedule(static) if (C * O * 36 >= kParMin)
  for (int64_t ci = 0; ci < C; ci++) {
    alignas(64) float tmp[J][I][kCB];
    for (int64_t o0 = 0; o0 < O; o0 += kCB) {
      const int64_t ob = std::min(kCB, O - o0);
      for (int64_t j = 0; j < I; j++) F(in + (j * C + ci) * O + o0, I * C * O, &tmp[0][j][0], I * kCB, ob);
      for (int64_t k = 0; k < J; k++) F(&tmp[k][0][0], kCB, out + (k * J * C + ci) * O + o0, C * O, ob);
    }
  }
}

// w [3][3][C][O] (HWIO) -> U [36][C][O] (G g Gᵀ).
void filter_transform(const float* w, int64_t C, int64_t O, float* U) { filter_map<3, 6, g6>(w, C, O, U); }

// dU [36][C][O] -> dw [3][3][C][O]: Gᵀ dU G.
void filter_transform_adjoint(const float* dU, int64_t C, int64_t O, float* dw) { filter_map<6, 3, gt3>(dU, C, O, dw); }

// The 36 products, one per transformed point: C_ξ = op(A_ξ)·B_ξ + beta·C_ξ, all row-major. Returns
// the first failure (callers inside a parallel region must not throw).
dnnl_status_t gemms(char ta, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, int64_t strideA,
                    const float* B, int64_t strideB, float beta, float* Cm, int64_t strideC) {
  for (int64_t xi = 0; xi < 36; xi++) {
    const auto st = dnnl_sgemm(ta, 'N', M, N, K, 1.f, A + xi * strideA, lda, B + xi * strideB, N, beta, Cm + xi * strideC, N);
    if (st != dnnl_success) return st;
  }
  return dnnl_success;
}
void check_gemms(dnnl_status_t st) {
  if (st != dnnl_success) throw std::runtime_error("Winograd: dnnl_sgemm failed with status " + std::to_string(st));
}

// Tiles per block. The stages used to run over whole arrays (V and M of a 32x32x64 layer at
// batch 128: 75 MB each, a round trip to memory between stages). Forward: the block's
// transformed input and products (36·tb·(C + O) floats) should stay in L2, yet tb rows per
// product amortise streaming U (36·C·O floats) once per block. Filter gradient: tb is the
// products' inner dimension and each block adds to all of dU, so blocks are larger. Measured on
// one Zen 3 core (512 KiB L2), batch 128, whole arrays -> blocks: forward 32x32x64 95 -> 59 ms,
// 16x16x128 74 -> 44 ms, 8x8x256 59 -> 57 ms; filter gradient 89 -> 62, 61 -> 49, 62 -> 52 ms.
// MIMO_WG_TILES / MIMO_WG_TILES_BW override tb (tests use tiny blocks to cover the seams).
int64_t block_tiles(int64_t C, int64_t O, bool filter_grad) {
  auto env = [](const char* name) -> int64_t {  // 0 (unset, not a positive number): sized here
    const char* e = std::getenv(name);
    return e ? std::max<int64_t>(0, std::atol(e)) : 0;
  };
  static const int64_t force = env("MIMO_WG_TILES"), force_bw = env("MIMO_WG_TILES_BW");
  if (filter_grad) return force_bw ? force_bw : std::max<int64_t>({64, 3640 * 4 / (C + O), C * O / 300});
  return force ? force : std::max<int64_t>({16, 3640 / (C + O), C * O / 600});
}

// y [n, oh, ow, O] = conv(x [n, h, w, C], filter already transformed to U [36][C][O]), 3x3, stride 1:
// blocks of tiles, each transformed, multiplied and transformed back while in cache.
void forward(const float* x, int64_t n, int64_t h, int64_t w, int64_t C, const float* U, int64_t O, int64_t oh, int64_t ow,
             int64_t pt, int64_t pl, const float* bias, int act, float alpha, float* y) {
  const Tiles tl(n, oh, ow);
  const int64_t tb = block_tiles(C, O, false), nb = (tl.T + tb - 1) / tb;
  dnnl_status_t err = dnnl_success;
#pragma omp parallel for schedule(dynamic, 1) if (nb > 1 && tl.T * (C + O) * 36 >= kParMin)
  for (int64_t b = 0; b < nb; b++) {
    const int64_t t0 = b * tb, tn = std::min(tb, tl.T - t0);
    auto* V = static_cast<float*>(arena().get(SLOT_IN, 36 * tb * C * sizeof(float)));
    auto* M = static_cast<float*>(arena().get(SLOT_OUT, 36 * tb * O * sizeof(float)));
    input_transform(x, h, w, C, tl, pt, pl, t0, tn, V);
    const auto st = gemms('N', tn, O, C, V, C, tn * C, U, C * O, 0.f, M, tn * O);
    if (st != dnnl_success) {
#pragma omp critical(wg_err)
      err = st;
    }
    output_transform(M, oh, ow, O, tl, t0, tn, bias, act, alpha, y);
  }
  check_gemms(err);
}

// dU [36][C][O] = Σ over tiles of Vᵀ·dM: blocks of tiles, each thread adding into its own dU,
// summed into the calling thread's at the end.
void filter_grad(const float* x, int64_t h, int64_t w, int64_t C, const float* dy, int64_t oh, int64_t ow, int64_t O,
                 const Tiles& tl, int64_t pt, int64_t pl, float* dU) {
  const int64_t tb = block_tiles(C, O, true), nb = (tl.T + tb - 1) / tb, size = 36 * C * O;
  const int nt = nb > 1 && tl.T * (C + O) * 36 >= kParMin ? static_cast<int>(std::min<int64_t>(nb, omp_get_max_threads())) : 1;
  std::vector<float*> parts(nt, nullptr);
  dnnl_status_t err = dnnl_success;
#pragma omp parallel num_threads(nt)
  {
    const int id = omp_get_thread_num();
    float* acc = id == 0 ? dU : static_cast<float*>(arena().get(SLOT_SCRATCH, size * sizeof(float)));
    parts[id] = acc;
    bool first = true;
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < nb; b++) {
      const int64_t t0 = b * tb, tn = std::min(tb, tl.T - t0);
      auto* V = static_cast<float*>(arena().get(SLOT_IN, 36 * tb * C * sizeof(float)));
      auto* dM = static_cast<float*>(arena().get(SLOT_OUT, 36 * tb * O * sizeof(float)));
      input_transform(x, h, w, C, tl, pt, pl, t0, tn, V);
      patch_transform<4, a6>(dy, oh, ow, O, tl, 0, 0, t0, tn, dM);
      const auto st = gemms('T', C, O, tn, V, C, tn * C, dM, tn * O, first ? 0.f : 1.f, acc, C * O);
      if (st != dnnl_success) {
#pragma omp critical(wg_err)
        err = st;
      }
      first = false;
    }
    if (first) std::memset(acc, 0, size * sizeof(float));  // this thread got no block
  }
  check_gemms(err);
  for (int i = 1; i < nt; i++) {
    const float* p = parts[i];
    if (p == nullptr) continue;  // the runtime gave the team fewer threads
#pragma omp simd
    for (int64_t k = 0; k < size; k++) dU[k] += p[k];
  }
}
}  // namespace wg

// Whether this convolution runs our Winograd: Conv::wino admits it and oneDNN has none here.
bool own_wino(const Conv& s) {
  static const bool onednn_has = [] {
    try {
      const Conv probe(std::vector<int64_t>{1, 8, 8, 32, 3, 3, 32, 8, 8, 1, 1, 1, 1, 1, 1, 1, 1});
      return is_wino(convolution_forward::primitive_desc(probe.fwd_desc(false, true), eng()));
    } catch (const dnnl::error&) {
      return false;
    }
  }();
  return s.wino() && (wino_mode() == WinoMode::Own || !onednn_has);
}

void own_wino_forward(const Conv& s, const float* x, const float* w, const float* bias, int act, float alpha, float* y) {
  auto* U = static_cast<float*>(arena().get(SLOT_SCRATCH, 36 * s.c * s.o * sizeof(float)));
  wg::filter_transform(w, s.c, s.o, U);
  wg::forward(x, s.n, s.h, s.w, s.c, U, s.o, s.oh, s.ow, s.pt, s.pl, bias, act, alpha, y);
}

// dx = the forward pass over dy (O channels in, C out) with w'[kh][kw][o][c] = w[2-kh][2-kw][c][o]
// and padding 2 - pt, 2 - pl: dx[i] = Σ_kh dy[i + pt - kh]·w[kh].
void own_wino_backward_data(const Conv& s, const float* dy, const float* w, float* dx) {
  std::vector<float> wt(9 * s.c * s.o);
  for (int64_t k = 0; k < 9; k++)
    for (int64_t ci = 0; ci < s.c; ci++)
      for (int64_t oi = 0; oi < s.o; oi++) wt[(k * s.o + oi) * s.c + ci] = w[((8 - k) * s.c + ci) * s.o + oi];
  auto* U = static_cast<float*>(arena().get(SLOT_SCRATCH, 36 * s.c * s.o * sizeof(float)));
  wg::filter_transform(wt.data(), s.o, s.c, U);
  wg::forward(dy, s.n, s.oh, s.ow, s.o, U, s.c, s.h, s.w, 2 - s.pt, 2 - s.pl, nullptr, ACT_NONE, 0.f, dx);
}

void own_wino_backward_weights(const Conv& s, const float* x, const float* dy, float* dw) {
  // The calling thread's scratch: filter_grad's other threads accumulate in their own.
  auto* dU = static_cast<float*>(arena().get(SLOT_SCRATCH, 36 * s.c * s.o * sizeof(float)));
  wg::filter_grad(x, s.h, s.w, s.c, dy, s.oh, s.ow, s.o, wg::Tiles(s.n, s.oh, s.ow), s.pt, s.pl, dU);
  wg::filter_transform_adjoint(dU, s.c, s.o, dw);
}

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
    auto& e = conv_fwd_entry(sig, with_bias, act, alpha);
    memory x = e.x.in(memory(s.src(), eng(), f32(info[0], "x")));
    memory yuser(s.dst(), eng(), f32(info[3], "y"));
    memory y = e.y.target(yuser);
    memory w = e.w.in(memory(s.wei(tag::hwio), eng(), f32(info[1], "w")));
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, y},
                                         {DNNL_ARG_SCRATCHPAD, arena_memory(e.pd.scratchpad_desc(), SLOT_SCRATCH)}};
    if (with_bias) args[DNNL_ARG_BIAS] = memory(s.bias(), eng(), f32(info[2], "bias"));
    e.prim.execute(strm(), args);
    e.y.out(y, yuser);
    strm().wait();
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

// conv2dBackwardData(dy, w, dx, sig)
Napi::Value Conv2dBackwardData(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto sig = ints(info[3], 17, "conv2dBackwardData sig");
  Conv s(sig);
  check_len(env, info[0], s.n * s.oh * s.ow * s.o, "conv2dBackwardData dy");
  check_len(env, info[1], s.kh * s.kw * s.c * s.o, "conv2dBackwardData w");
  check_len(env, info[2], s.n * s.h * s.w * s.c, "conv2dBackwardData dx");
  if (own_wino(s)) {
    own_wino_backward_data(s, f32(info[0], "dy"), f32(info[1], "w"), f32(info[2], "dx"));
    return env.Undefined();
  }
  auto key = key_of('D', sig);
  auto it = conv_bwd_data_cache.find(key);
  if (it == conv_bwd_data_cache.end()) {
    auto e = std::make_unique<ConvBwdDataEntry>();
    e->pd = conv_backward_pd<convolution_backward_data>(s);
    e->prim = convolution_backward_data(e->pd);
    e->w.init(e->pd.weights_desc(), s.wei(tag::hwio), true);
    e->dy.init(e->pd.diff_dst_desc(), s.dst(), true, SLOT_IN);
    e->dx.init(e->pd.diff_src_desc(), s.src(), false, SLOT_OUT);
    it = conv_bwd_data_cache.emplace(key, std::move(e)).first;
  }
  auto& e = *it->second;
  memory dy = e.dy.in(memory(s.dst(), eng(), f32(info[0], "dy")));
  memory dxuser(s.src(), eng(), f32(info[2], "dx"));
  memory dx = e.dx.target(dxuser);
  memory w = e.w.in(memory(s.wei(tag::hwio), eng(), f32(info[1], "w")));
  e.prim.execute(strm(), {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx},
                          {DNNL_ARG_SCRATCHPAD, arena_memory(e.pd.scratchpad_desc(), SLOT_SCRATCH)}});
  e.dx.out(dx, dxuser);
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
  if (own_wino(s)) {
    own_wino_backward_weights(s, f32(info[0], "x"), f32(info[1], "dy"), f32(info[2], "dw"));
    return env.Undefined();
  }
  auto key = key_of('W', sig);
  auto it = conv_bwd_w_cache.find(key);
  if (it == conv_bwd_w_cache.end()) {
    auto e = std::make_unique<ConvBwdWeightsEntry>();
    e->pd = conv_backward_pd<convolution_backward_weights>(s);
    e->prim = convolution_backward_weights(e->pd);
    e->dw.init(e->pd.diff_weights_desc(), s.wei(tag::hwio), false);
    e->x.init(e->pd.src_desc(), s.src(), true, SLOT_IN);
    e->dy.init(e->pd.diff_dst_desc(), s.dst(), true, SLOT_OUT);
    it = conv_bwd_w_cache.emplace(key, std::move(e)).first;
  }
  auto& e = *it->second;
  memory x = e.x.in(memory(s.src(), eng(), f32(info[0], "x")));
  memory dy = e.dy.in(memory(s.dst(), eng(), f32(info[1], "dy")));
  memory dwuser(s.wei(tag::hwio), eng(), f32(info[2], "dw"));
  memory dw = e.dw.target(dwuser);
  e.prim.execute(strm(), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw},
                          {DNNL_ARG_SCRATCHPAD, arena_memory(e.pd.scratchpad_desc(), SLOT_SCRATCH)}});
  e.dw.out(dw, dwuser);
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
thread_local std::unordered_map<std::string, std::unique_ptr<MatmulEntry>> matmul_cache;

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

// ---------------------------------------------------------------- elementwise & reductions
// Float32 versions of the small kernels that dominate a training step once convs are
// fast (broadcast binaries, unaries, reductions, Tile, batch norm). Each one mirrors the
// arithmetic of tfjs's cpu kernel, NaN handling included, so the cpu backend stays an
// exact-enough oracle. Op codes are shared with src/backend/elementwise_kernels.ts and
// src/backend/reduce_kernels.ts.

int64_t chunks_for(int64_t n) { return n < kParMin ? 1 : omp_get_max_threads(); }

// Any-length Int32Array of dims, as int64.
std::vector<int64_t> shape_arg(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected an Int32Array shape");
  auto a = v.As<Napi::Int32Array>();
  std::vector<int64_t> s(a.Data(), a.Data() + a.ElementLength());
  for (auto d : s)
    if (d < 0) throw Napi::RangeError::New(v.Env(), std::string(what) + ": negative dimension");
  return s;
}

int64_t numel(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); i++) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

// Binary ops. Max/Min follow Math.max/min (NaN if either side is NaN); Pow follows
// Math.pow, which unlike C's pow gives NaN for pow(1, NaN) and pow(+-1, +-inf).
// B_RELU_GRAD(dy, x) = dy * step(x), tfjs's Relu gradient (NaN x gives NaN) in one pass.
enum BinOp { B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_SQDIFF, B_PRELU, B_POW, B_RELU_GRAD };

template <class Fn>
void with_binop(int op, Fn&& fn) {
  switch (op) {
    case B_ADD: return fn([](float a, float b) { return a + b; });
    case B_SUB: return fn([](float a, float b) { return a - b; });
    case B_MUL: return fn([](float a, float b) { return a * b; });
    case B_DIV: return fn([](float a, float b) { return a / b; });
    case B_MAX: return fn([](float a, float b) { return a != a ? a : (b != b || b > a) ? b : a; });
    case B_MIN: return fn([](float a, float b) { return a != a ? a : (b != b || b < a) ? b : a; });
    case B_SQDIFF: return fn([](float a, float b) { float d = a - b; return d * d; });
    // Select the factor, then multiply: the plain ternary does not vectorise.
    case B_PRELU: return fn([](float x, float al) { return x * (x < 0 ? al : 1.f); });
    case B_POW: return fn([](float a, float b) {
      if (b != b || (std::isinf(b) && std::fabs(a) == 1.f)) return NAN;
      return static_cast<float>(std::pow(static_cast<double>(a), static_cast<double>(b)));
    });
    case B_RELU_GRAD: return fn([](float g, float x) {
      // Written as two selects so it vectorises; NaN x propagates as in tfjs's step.
      float s = x > 0 ? 1.f : 0.f;
      s = x != x ? x : s;
      return g * s;
    });
    default: throw std::runtime_error("binary: unknown op code " + std::to_string(op));
  }
}

// One run along the innermost dim; a 0 stride repeats that operand's element. Four
// separate loops so each one vectorises.
template <class F>
inline void bin_run(F f, const float* __restrict a, bool sa, const float* __restrict b, bool sb,
                    float* __restrict o, int64_t n) {
  if (sa && sb) {
    for (int64_t i = 0; i < n; i++) o[i] = f(a[i], b[i]);
  } else if (sa) {
    const float bv = *b;
    for (int64_t i = 0; i < n; i++) o[i] = f(a[i], bv);
  } else if (sb) {
    const float av = *a;
    for (int64_t i = 0; i < n; i++) o[i] = f(av, b[i]);
  } else {
    std::fill(o, o + n, f(*a, *b));
  }
}

// NumPy broadcasting reduced to its essentials: size-1 output dims dropped and
// neighbouring dims that broadcast alike merged, so [128,32,32,64] vs [64] becomes
// [131072, 64] with b's strides [0, 1]. sa/sb are element strides (0 = broadcast).
struct Bcast {
  std::vector<int64_t> dim, sa, sb;
  int64_t total = 1;
};

Bcast broadcast_plan(const Napi::Env& env, const std::vector<int64_t>& as, const std::vector<int64_t>& bs) {
  const size_t r = std::max(as.size(), bs.size());
  Bcast p;
  std::vector<int> kind;  // bit 0: a spans the dim, bit 1: b does
  for (size_t d = 0; d < r; d++) {
    int64_t x = d + as.size() >= r ? as[d + as.size() - r] : 1;
    int64_t y = d + bs.size() >= r ? bs[d + bs.size() - r] : 1;
    if (x != y && x != 1 && y != 1)
      throw Napi::RangeError::New(env, "binary: shapes " + shape_str(as) + " and " + shape_str(bs) +
                                           " do not broadcast");
    int64_t o = x == 1 ? y : x;
    if (o == 1) continue;
    int k = (x == o ? 1 : 0) | (y == o ? 2 : 0);
    if (!kind.empty() && kind.back() == k) {
      p.dim.back() *= o;
    } else {
      p.dim.push_back(o);
      kind.push_back(k);
    }
  }
  if (p.dim.empty()) {
    p.dim.push_back(1);
    kind.push_back(3);
  }
  const size_t n = p.dim.size();
  p.sa.assign(n, 0);
  p.sb.assign(n, 0);
  int64_t ca = 1, cb = 1;
  for (size_t d = n; d-- > 0;) {
    if (kind[d] & 1) p.sa[d] = ca, ca *= p.dim[d];
    if (kind[d] & 2) p.sb[d] = cb, cb *= p.dim[d];
    p.total *= p.dim[d];
  }
  return p;
}

// Each thread takes one contiguous slice of the output and walks it row by row (an
// odometer over the outer dims), so same-shape, scalar and row broadcasts all reduce to
// long vectorised inner runs.
template <class F>
void binary_exec(F f, const Bcast& p, const float* a, const float* b, float* o) {
  if (p.total == 0) return;
  const int r = static_cast<int>(p.dim.size());
  if (r == 2 && p.dim[1] < kTile / 2) {
    const int64_t c = p.dim[1];
    if (p.sa[0] == c && p.sa[1] == 1 && p.sb[0] == 0 && p.sb[1] == 1)
      return binary_channel_exec(f, p.dim[0], c, true, a, b, o);
    if (p.sb[0] == c && p.sb[1] == 1 && p.sa[0] == 0 && p.sa[1] == 1)
      return binary_channel_exec(f, p.dim[0], c, false, a, b, o);
  }
  const int64_t inner = p.dim[r - 1];
  const bool isa = p.sa[r - 1] != 0, isb = p.sb[r - 1] != 0;
  const int64_t nch = chunks_for(p.total);
#pragma omp parallel for if (nch > 1) schedule(static, 1)
  for (int64_t c = 0; c < nch; c++) {
    int64_t pos = p.total * c / nch;
    const int64_t end = p.total * (c + 1) / nch;
    int64_t col = pos % inner, rem = pos / inner, ao = 0, bo = 0;
    std::vector<int64_t> idx(r, 0);
    for (int d = r - 2; d >= 0; d--) {
      idx[d] = rem % p.dim[d];
      rem /= p.dim[d];
      ao += idx[d] * p.sa[d];
      bo += idx[d] * p.sb[d];
    }
    while (pos < end) {
      const int64_t n = std::min(inner - col, end - pos);
      bin_run(f, a + ao + (isa ? col : 0), isa, b + bo + (isb ? col : 0), isb, o + pos, n);
      pos += n;
      col = 0;
      for (int d = r - 2; d >= 0; d--) {
        ao += p.sa[d];
        bo += p.sb[d];
        if (++idx[d] < p.dim[d]) break;
        ao -= p.sa[d] * p.dim[d];
        bo -= p.sb[d] * p.dim[d];
        idx[d] = 0;
      }
    }
  }
}

// binary(op, a, aShape, b, bShape, out): out has the broadcast shape of a and b.
Napi::Value Binary(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  int op = info[0].As<Napi::Number>().Int32Value();
  auto as = shape_arg(info[2], "binary aShape"), bs = shape_arg(info[4], "binary bShape");
  Bcast p = broadcast_plan(env, as, bs);
  const float *a = f32(info[1], "binary a"), *b = f32(info[3], "binary b");
  float* o = f32(info[5], "binary out");
  check_len(env, info[1], numel(as), "binary a");
  check_len(env, info[3], numel(bs), "binary b");
  check_len(env, info[5], p.total, "binary out");
  with_binop(op, [&](auto f) { binary_exec(f, p, a, b, o); });
  return env.Undefined();
}

// Unary ops, with tfjs's cpu semantics: Relu/Relu6/Step keep NaN, Step gives alpha for
// x <= 0, LeakyRelu is x < 0 ? alpha*x : x, Elu uses exp(x)-1 like the cpu kernel.
enum UnOp { U_RELU, U_RELU6, U_STEP, U_NEG, U_SQUARE, U_SQRT, U_RSQRT, U_EXP, U_LOG, U_ABS,
            U_SIGMOID, U_TANH, U_RECIPROCAL, U_LEAKY_RELU, U_ELU };

template <class F>
void unary_exec(F f, const float* __restrict x, float* __restrict y, int64_t n) {
  const int64_t nch = chunks_for(n);
#pragma omp parallel for if (nch > 1) schedule(static, 1)
  for (int64_t c = 0; c < nch; c++) {
    const int64_t lo = n * c / nch, hi = n * (c + 1) / nch;
    for (int64_t i = lo; i < hi; i++) y[i] = f(x[i]);
  }
}

// unary(op, x, out, alpha)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  int op = info[0].As<Napi::Number>().Int32Value();
  const float* x = f32(info[1], "unary x");
  float* y = f32(info[2], "unary out");
  const size_t n = f32len(info[1]);
  check_len(env, info[2], n, "unary out");
  const float al = info[3].As<Napi::Number>().FloatValue();
  auto run = [&](auto f) { unary_exec(f, x, y, static_cast<int64_t>(n)); };
  switch (op) {
    case U_RELU: run([](float v) { return v != v ? v : v > 0 ? v : 0.f; }); break;
    case U_RELU6: run([](float v) { return v != v ? v : v > 6 ? 6.f : v > 0 ? v : 0.f; }); break;
    case U_STEP: run([al](float v) { return v != v ? v : v > 0 ? 1.f : al; }); break;
    case U_NEG: run([](float v) { return -v; }); break;
    case U_SQUARE: run([](float v) { return v * v; }); break;
    case U_SQRT: run([](float v) { return std::sqrt(v); }); break;
    // In double, as tfjs computes 1 / Math.sqrt(x): float would round twice.
    case U_RSQRT: run([](float v) { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(v))); }); break;
    case U_EXP: run([](float v) { return std::exp(v); }); break;
    case U_LOG: run([](float v) { return std::log(v); }); break;
    case U_ABS: run([](float v) { return std::fabs(v); }); break;
    case U_SIGMOID: run([](float v) { return 1.f / (1.f + std::exp(-v)); }); break;
    case U_TANH: run([](float v) { return std::tanh(v); }); break;
    case U_RECIPROCAL: run([](float v) { return 1.f / v; }); break;
    case U_LEAKY_RELU: run([al](float v) { return v < 0 ? al * v : v; }); break;
    // In double: exp(x) - 1 in float loses most digits for small |x|.
    case U_ELU: run([](float v) { return v >= 0 ? v : static_cast<float>(std::exp(static_cast<double>(v)) - 1.0); }); break;
    default: throw std::runtime_error("unary: unknown op code " + std::to_string(op));
  }
  return env.Undefined();
}

// Reductions over the middle dim of [outer, reduce, inner] (the caller collapses the
// axes). Sums accumulate in double: a float running sum over 10^5+ terms drifts by
// ~1e-4 relative, and double costs nothing extra in a memory-bound loop. Max/Min keep
// tfjs's rule that any NaN wins.
enum RedOp { R_SUM, R_MEAN, R_MAX, R_MIN };

struct SumR {
  static double step(double acc, float v) { return acc + v; }
  static double merge(double a, double b) { return a + b; }
};
struct MaxR {
  static double step(double acc, double v) { return (v != v || v > acc) ? v : acc; }
  static double merge(double a, double b) { return step(a, b); }
};
struct MinR {
  static double step(double acc, double v) { return (v != v || v < acc) ? v : acc; }
  static double merge(double a, double b) { return step(a, b); }
};

// acc[i - i0] = reduction of rows [r0, r1) of x (row length `inner`), columns [i0, i1).
template <class R>
void reduce_rows(const float* x, int64_t r0, int64_t r1, int64_t inner, int64_t i0, int64_t i1, double* acc) {
  if (inner == 1) {
    if constexpr (std::is_same_v<R, SumR>) {
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t r = r0; r < r1; r++) s += x[r];
      acc[0] = s;
    } else {
      double m = x[r0];
      for (int64_t r = r0 + 1; r < r1; r++) m = R::step(m, x[r]);
      acc[0] = m;
    }
    return;
  }
  const int64_t w = i1 - i0;
  const float* row = x + r0 * inner + i0;
  for (int64_t i = 0; i < w; i++) acc[i] = row[i];
  for (int64_t r = r0 + 1; r < r1; r++) {
    row = x + r * inner + i0;
    for (int64_t i = 0; i < w; i++) acc[i] = R::step(acc[i], row[i]);
  }
}

template <class R>
void reduce_exec(const float* x, int64_t outer, int64_t red, int64_t inner, float* out, double div) {
  const int64_t total = outer * red * inner;
  const int64_t T = chunks_for(total);
  // With fewer output blocks than threads (a reduction over all of N,H,W has outer == 1),
  // also split the inner dim when it is wide, else the reduced dim with partial results.
  int64_t split_r = 1, split_i = 1;
  if (T > 1 && outer < T) {
    const int64_t want = (T + outer - 1) / outer;
    if (inner >= want * 512) split_i = want;
    else split_r = std::min(red, want);
  }
  const int64_t tasks = outer * split_r * split_i;
  std::vector<double> part(split_r > 1 ? outer * split_r * inner : 0);
#pragma omp parallel if (T > 1)
  {
    std::vector<double> acc(split_r > 1 ? 0 : inner);
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
      const int64_t o = t / (split_r * split_i), s = (t / split_i) % split_r, ib = t % split_i;
      const int64_t r0 = red * s / split_r, r1 = red * (s + 1) / split_r;
      const int64_t i0 = inner * ib / split_i, i1 = inner * (ib + 1) / split_i;
      const float* base = x + o * red * inner;
      if (split_r > 1) {
        reduce_rows<R>(base, r0, r1, inner, i0, i1, &part[(o * split_r + s) * inner + i0]);
      } else {
        reduce_rows<R>(base, r0, r1, inner, i0, i1, acc.data());
        for (int64_t i = i0; i < i1; i++) out[o * inner + i] = static_cast<float>(acc[i - i0] / div);
      }
    }
  }
  if (split_r > 1) {
    for (int64_t o = 0; o < outer; o++)
      for (int64_t i = 0; i < inner; i++) {
        double v = part[o * split_r * inner + i];
        for (int64_t s = 1; s < split_r; s++) v = R::merge(v, part[(o * split_r + s) * inner + i]);
        out[o * inner + i] = static_cast<float>(v / div);
      }
  }
}

// reduce(op, x, outer, reduce, inner, out): out has outer*inner floats.
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  int op = info[0].As<Napi::Number>().Int32Value();
  const int64_t outer = info[2].As<Napi::Number>().Int64Value(), red = info[3].As<Napi::Number>().Int64Value(),
                inner = info[4].As<Napi::Number>().Int64Value();
  if (outer < 0 || red < 1 || inner < 0)
    throw Napi::RangeError::New(env, "reduce: bad geometry [" + std::to_string(outer) + "," + std::to_string(red) +
                                         "," + std::to_string(inner) + "] (empty reductions stay on the cpu kernel)");
  const float* x = f32(info[1], "reduce x");
  float* o = f32(info[5], "reduce out");
  check_len(env, info[1], outer * red * inner, "reduce x");
  check_len(env, info[5], outer * inner, "reduce out");
  switch (op) {
    case R_SUM: reduce_exec<SumR>(x, outer, red, inner, o, 1.0); break;
    case R_MEAN: reduce_exec<SumR>(x, outer, red, inner, o, static_cast<double>(red)); break;
    case R_MAX: reduce_exec<MaxR>(x, outer, red, inner, o, 1.0); break;
    case R_MIN: reduce_exec<MinR>(x, outer, red, inner, o, 1.0); break;
    default: throw std::runtime_error("reduce: unknown op code " + std::to_string(op));
  }
  return env.Undefined();
}

// tile(x, xShape, reps, out). Dims are collapsed first: (x_d, rep_d) pairs with rep 1
// extend their left neighbour, so tiling [1,1,1,C] by [N,H,W,1] is one dim (C, N*H*W).
Napi::Value Tile(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto xs = shape_arg(info[1], "tile xShape"), reps = shape_arg(info[2], "tile reps");
  if (xs.size() != reps.size())
    throw Napi::RangeError::New(env, "tile: reps " + shape_str(reps) + " do not match the rank of " + shape_str(xs));
  const float* x = f32(info[0], "tile x");
  float* o = f32(info[3], "tile out");
  check_len(env, info[0], numel(xs), "tile x");
  std::vector<int64_t> xd, rp;
  for (size_t d = 0; d < xs.size(); d++) {
    if (xs[d] == 1 && reps[d] == 1) continue;
    if (!xd.empty() && reps[d] == 1) {
      xd.back() *= xs[d];
    } else if (!xd.empty() && xd.back() == 1 && xs[d] == 1) {
      rp.back() *= reps[d];
    } else {
      xd.push_back(xs[d]);
      rp.push_back(reps[d]);
    }
  }
  if (xd.empty()) xd.push_back(1), rp.push_back(1);
  const int r = static_cast<int>(xd.size());
  std::vector<int64_t> od(r), xstride(r);
  int64_t total = 1, xs_acc = 1;
  for (int d = r - 1; d >= 0; d--) {
    od[d] = xd[d] * rp[d];
    total *= od[d];
    xstride[d] = xs_acc;
    xs_acc *= xd[d];
  }
  check_len(env, info[3], total, "tile out");
  if (total == 0) return env.Undefined();
  const int64_t rowlen = od[r - 1], xrow = xd[r - 1];
  const int64_t nch = chunks_for(total);
#pragma omp parallel for if (nch > 1) schedule(static, 1)
  for (int64_t c = 0; c < nch; c++) {
    int64_t pos = total * c / nch;
    const int64_t end = total * (c + 1) / nch;
    while (pos < end) {
      int64_t rem = pos / rowlen, xoff = 0;
      for (int d = r - 2; d >= 0; d--) {
        xoff += (rem % od[d]) % xd[d] * xstride[d];
        rem /= od[d];
      }
      const float* src = x + xoff;
      const int64_t row_end = std::min(end, (pos / rowlen + 1) * rowlen);
      if (xrow == 1) {
        std::fill(o + pos, o + row_end, *src);
        pos = row_end;
      }
      while (pos < row_end) {
        const int64_t k = (pos % rowlen) % xrow, n = std::min(xrow - k, row_end - pos);
        std::memcpy(o + pos, src + k, n * sizeof(float));
        pos += n;
      }
    }
  }
  return env.Undefined();
}

// transpose(x, xShape, perm, out): out dim d is x dim perm[d]. Input dims that stay
// adjacent and in order are merged first, so e.g. [G,n,HW,C] -> [G,HW,n,C] becomes a
// rank-4 permutation whose innermost run (C floats) is copied with memcpy.
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto xs = shape_arg(info[1], "transpose xShape"), perm = shape_arg(info[2], "transpose perm");
  const size_t rank = xs.size();
  if (perm.size() != rank)
    throw Napi::RangeError::New(env, "transpose: perm " + shape_str(perm) + " does not match the rank of " + shape_str(xs));
  std::vector<bool> seen(rank, false);
  for (auto p : perm) {
    if (p < 0 || p >= int64_t(rank) || seen[p])
      throw Napi::RangeError::New(env, "transpose: perm " + shape_str(perm) + " is not a permutation of 0.." + std::to_string(rank - 1));
    seen[p] = true;
  }
  check_len(env, info[0], numel(xs), "transpose x");
  check_len(env, info[3], numel(xs), "transpose out");
  const float* x = f32(info[0], "transpose x");
  float* o = f32(info[3], "transpose out");
  const int64_t total = numel(xs);
  if (total == 0) return env.Undefined();
  // Output dims in order with their input strides; size-1 dims dropped, and an output
  // dim merged into its predecessor when the two are contiguous in the input as well.
  std::vector<int64_t> xstride(rank);
  for (int64_t d = int64_t(rank) - 1, acc = 1; d >= 0; d--) { xstride[d] = acc; acc *= xs[d]; }
  std::vector<int64_t> od, ost;  // merged output dims and their input strides
  for (size_t d = 0; d < rank; d++) {
    const int64_t size = xs[perm[d]], stride = xstride[perm[d]];
    if (size == 1) continue;
    if (!od.empty() && ost.back() == stride * size) {
      od.back() *= size;
      ost.back() = stride;
    } else {
      od.push_back(size);
      ost.push_back(stride);
    }
  }
  if (od.empty()) { od.push_back(1); ost.push_back(1); }
  const int r = int(od.size());
  const int64_t rowlen = od[r - 1], instep = ost[r - 1];
  // The input's innermost dim, when it is not the output's: p with ost[p] == 1.
  int p = -1;
  for (int d = 0; d < r - 1; d++)
    if (ost[d] == 1) p = d;
  if (instep != 1 && p >= 0) {
    // Tiled: read a T x T block of the [od[p], rowlen] plane (rows of the input, columns of the
    // output) and write it transposed, so all 16 floats of each cache line read are used while it
    // is in L1. The row-by-row gather below used one float per line read: a [64000, 128]
    // transpose took 38 ms.
    constexpr int64_t T = 32;
    std::vector<int64_t> ostr(r);  // output strides of the merged dims
    ostr[r - 1] = 1;
    for (int d = r - 2; d >= 0; d--) ostr[d] = ostr[d + 1] * od[d + 1];
    const int64_t P = od[p], ti = (P + T - 1) / T, tk = (rowlen + T - 1) / T;
    const int64_t outer = total / (P * rowlen), units = outer * ti * tk;
#pragma omp parallel for if (total >= kParMin) schedule(static)
    for (int64_t u = 0; u < units; u++) {
      const int64_t kb = (u % tk) * T, ib = ((u / tk) % ti) * T;
      int64_t rem = u / (tk * ti), xoff = 0, ooff = 0;
      for (int d = r - 2; d >= 0; d--) {
        if (d == p) continue;
        xoff += (rem % od[d]) * ost[d];
        ooff += (rem % od[d]) * ostr[d];
        rem /= od[d];
      }
      const int64_t i1 = std::min(P, ib + T), k1 = std::min(rowlen, kb + T), op = ostr[p];
      for (int64_t i = ib; i < i1; i++) {
        const float* __restrict src = x + xoff + i;
        float* __restrict dst = o + ooff + i * op;
        for (int64_t k = kb; k < k1; k++) dst[k] = src[k * instep];
      }
    }
    return env.Undefined();
  }
  const int64_t nch = chunks_for(total);
#pragma omp parallel for if (nch > 1) schedule(static, 1)
  for (int64_t c = 0; c < nch; c++) {
    int64_t pos = total * c / nch;
    const int64_t end = total * (c + 1) / nch;
    while (pos < end) {
      int64_t rem = pos / rowlen, xoff = 0;
      for (int d = r - 2; d >= 0; d--) {
        xoff += (rem % od[d]) * ost[d];
        rem /= od[d];
      }
      const int64_t k0 = pos % rowlen, n = std::min(rowlen - k0, end - pos);
      const float* src = x + xoff + k0 * instep;
      if (instep == 1) {
        std::memcpy(o + pos, src, n * sizeof(float));
      } else {
        for (int64_t k = 0; k < n; k++) o[pos + k] = src[k * instep];
      }
      pos += n;
    }
  }
  return env.Undefined();
}

// batchNorm(x, mean, variance, scale|null, offset|null, out, eps). Parameters hold L or 1
// values and are applied per position modulo L, as the cpu kernel does (L divides x).
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const float* x = f32(info[0], "batchNorm x");
  float* o = f32(info[5], "batchNorm out");
  const int64_t n = f32len(info[0]);
  check_len(env, info[5], n, "batchNorm out");
  const Napi::Value params[4] = {info[1], info[2], info[3], info[4]};
  static const char* names[4] = {"batchNorm mean", "batchNorm variance", "batchNorm scale", "batchNorm offset"};
  const float defaults[4] = {0.f, 1.f, 1.f, 0.f};
  int64_t L = 1;
  for (int k = 0; k < 4; k++)
    if (!params[k].IsNull() && !params[k].IsUndefined()) L = std::max<int64_t>(L, f32len(params[k]));
  const float* pv[4];
  int64_t plen[4];
  for (int k = 0; k < 4; k++) {
    bool given = !params[k].IsNull() && !params[k].IsUndefined();
    pv[k] = given ? f32(params[k], names[k]) : &defaults[k];
    plen[k] = given ? static_cast<int64_t>(f32len(params[k])) : 1;
    if (plen[k] != 1 && plen[k] != L)
      throw Napi::RangeError::New(env, std::string(names[k]) + ": has " + std::to_string(plen[k]) +
                                           " values, expected 1 or " + std::to_string(L));
  }
  if (n % L != 0)
    throw Napi::RangeError::New(env, "batchNorm: x has " + std::to_string(n) + " values, not a multiple of " + std::to_string(L));
  const double eps = info[6].As<Napi::Number>().DoubleValue();
  // Per channel: out = (x - mean) * k + offset with k = scale / sqrt(var + eps) in double.
  std::vector<float> m(L), kk(L), off(L);
  for (int64_t c = 0; c < L; c++) {
    auto at = [&](int k) { return pv[k][plen[k] == 1 ? 0 : c]; };
    m[c] = at(0);
    kk[c] = static_cast<float>(at(2) / std::sqrt(static_cast<double>(at(1)) + eps));
    off[c] = at(3);
  }
  const int64_t rows = n / std::max<int64_t>(L, 1);
  const int64_t nch = chunks_for(n);
#pragma omp parallel for if (nch > 1) schedule(static, 1)
  for (int64_t c = 0; c < nch; c++) {
    const int64_t lo = rows * c / nch, hi = rows * (c + 1) / nch;
    for (int64_t r = lo; r < hi; r++) {
      const float* xr = x + r * L;
      float* orow = o + r * L;
      for (int64_t j = 0; j < L; j++) orow[j] = (xr[j] - m[j]) * kk[j] + off[j];
    }
  }
  return env.Undefined();
}

// ---------------------------------------------------------------- pooling (NHWC)
// Signature (12 ints): n h w c fh fw oh ow sh sw pt pl. Semantics follow tfjs's cpu
// kernels exactly (first strictly-greater maximum wins; average over the valid window;
// AvgPoolGrad divides by the full window size, as tfjs does).
struct Pool {
  int64_t n, h, w, c, fh, fw, oh, ow, sh, sw, pt, pl;
  explicit Pool(const std::vector<int64_t>& s)
      : n(s[0]), h(s[1]), w(s[2]), c(s[3]), fh(s[4]), fw(s[5]), oh(s[6]), ow(s[7]), sh(s[8]),
        sw(s[9]), pt(s[10]), pl(s[11]) {}
};

// pool2dForward(x, y, sig, isMax)
Napi::Value Pool2dForward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  Pool p(ints(info[2], 12, "pool2dForward sig"));
  bool is_max = info[3].As<Napi::Boolean>().Value();
  check_len(env, info[0], p.n * p.h * p.w * p.c, "pool2dForward x");
  check_len(env, info[1], p.n * p.oh * p.ow * p.c, "pool2dForward y");
  const float* x = f32(info[0], "x");
  float* y = f32(info[1], "y");
#pragma omp parallel for collapse(2) schedule(static) if (p.n * p.oh * p.ow * p.c > 32768)
  for (int64_t b = 0; b < p.n; b++)
    for (int64_t oy = 0; oy < p.oh; oy++) {
      std::vector<float> acc(p.c);
      const int64_t y0 = std::max<int64_t>(0, oy * p.sh - p.pt), y1 = std::min(p.h, oy * p.sh - p.pt + p.fh);
      for (int64_t ox = 0; ox < p.ow; ox++) {
        const int64_t x0 = std::max<int64_t>(0, ox * p.sw - p.pl), x1 = std::min(p.w, ox * p.sw - p.pl + p.fw);
        std::fill(acc.begin(), acc.end(), is_max ? -INFINITY : 0.f);
        for (int64_t iy = y0; iy < y1; iy++)
          for (int64_t ix = x0; ix < x1; ix++) {
            const float* px = x + ((b * p.h + iy) * p.w + ix) * p.c;
            if (is_max)
              for (int64_t j = 0; j < p.c; j++) acc[j] = px[j] > acc[j] ? px[j] : acc[j];
            else
              for (int64_t j = 0; j < p.c; j++) acc[j] += px[j];
          }
        float* py = y + ((b * p.oh + oy) * p.ow + ox) * p.c;
        const float inv = 1.f / float((y1 - y0) * (x1 - x0));
        for (int64_t j = 0; j < p.c; j++) py[j] = is_max ? acc[j] : acc[j] * inv;
      }
    }
  return env.Undefined();
}

// pool2dBackward(dy, x, dx, sig, isMax): dx must be zero-filled by the caller.
Napi::Value Pool2dBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  Pool p(ints(info[3], 12, "pool2dBackward sig"));
  bool is_max = info[4].As<Napi::Boolean>().Value();
  check_len(env, info[0], p.n * p.oh * p.ow * p.c, "pool2dBackward dy");
  check_len(env, info[2], p.n * p.h * p.w * p.c, "pool2dBackward dx");
  if (is_max) check_len(env, info[1], p.n * p.h * p.w * p.c, "pool2dBackward x");
  const float* dy = f32(info[0], "dy");
  const float* x = is_max ? f32(info[1], "x") : nullptr;
  float* dx = f32(info[2], "dx");
  const float inv = 1.f / float(p.fh * p.fw);
  // One batch item per iteration: windows of different items never overlap, so no races.
#pragma omp parallel for schedule(static) if (p.n * p.h * p.w * p.c > 32768)
  for (int64_t b = 0; b < p.n; b++) {
    std::vector<float> best(p.c);
    std::vector<int64_t> at(p.c);
    for (int64_t oy = 0; oy < p.oh; oy++) {
      const int64_t y0 = std::max<int64_t>(0, oy * p.sh - p.pt), y1 = std::min(p.h, oy * p.sh - p.pt + p.fh);
      for (int64_t ox = 0; ox < p.ow; ox++) {
        const int64_t x0 = std::max<int64_t>(0, ox * p.sw - p.pl), x1 = std::min(p.w, ox * p.sw - p.pl + p.fw);
        const float* g = dy + ((b * p.oh + oy) * p.ow + ox) * p.c;
        if (is_max) {
          std::fill(best.begin(), best.end(), -INFINITY);
          std::fill(at.begin(), at.end(), -1);
          for (int64_t iy = y0; iy < y1; iy++)
            for (int64_t ix = x0; ix < x1; ix++) {
              const int64_t off = ((b * p.h + iy) * p.w + ix) * p.c;
              for (int64_t j = 0; j < p.c; j++)
                if (x[off + j] > best[j]) { best[j] = x[off + j]; at[j] = off + j; }
            }
          for (int64_t j = 0; j < p.c; j++)
            if (at[j] >= 0) dx[at[j]] += g[j];
        } else {
          for (int64_t iy = y0; iy < y1; iy++)
            for (int64_t ix = x0; ix < x1; ix++) {
              float* d = dx + ((b * p.h + iy) * p.w + ix) * p.c;
              for (int64_t j = 0; j < p.c; j++) d[j] += g[j] * inv;
            }
        }
      }
    }
  }
  return env.Undefined();
}

// ---------------------------------------------------------------- batch norm (training)
// x is [rows, c] (NHWC flattened). Statistics are accumulated per thread in blocks of
// float rows folded into double, which keeps a 2M-row reduction accurate to ~1e-7.
template <typename RowFn>
void channel_sums(int64_t rows, int64_t c, int nacc, double* out, RowFn row) {
  std::fill(out, out + nacc * c, 0.0);
#pragma omp parallel if (rows * c > 32768)
  {
    std::vector<double> mine(nacc * c, 0.0);
    std::vector<float> blk(nacc * c);
    const int64_t B = 64;
#pragma omp for schedule(static)
    for (int64_t r0 = 0; r0 < rows; r0 += B) {
      std::fill(blk.begin(), blk.end(), 0.f);
      for (int64_t r = r0; r < std::min(rows, r0 + B); r++) row(r, blk.data());
      for (int64_t j = 0; j < nacc * c; j++) mine[j] += blk[j];
    }
#pragma omp critical
    for (int64_t j = 0; j < nacc * c; j++) out[j] += mine[j];
  }
}

// batchNormForward(x, gamma, beta, y, mean, variance, rows, c, eps)
Napi::Value BatchNormForward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const int64_t rows = info[6].As<Napi::Number>().Int64Value(), c = info[7].As<Napi::Number>().Int64Value();
  const float eps = info[8].As<Napi::Number>().FloatValue();
  check_len(env, info[0], rows * c, "batchNormForward x");
  check_len(env, info[3], rows * c, "batchNormForward y");
  for (int i : {1, 2, 4, 5}) check_len(env, info[i], c, "batchNormForward per-channel array");
  const float *x = f32(info[0], "x"), *gamma = f32(info[1], "gamma"), *beta = f32(info[2], "beta");
  float *y = f32(info[3], "y"), *mean = f32(info[4], "mean"), *var = f32(info[5], "variance");
  std::vector<double> s(c);
  channel_sums(rows, c, 1, s.data(), [&](int64_t r, float* __restrict acc) {
    const float* __restrict px = x + r * c;
    for (int64_t j = 0; j < c; j++) acc[j] += px[j];
  });
  std::vector<float> m(c);
  for (int64_t j = 0; j < c; j++) m[j] = mean[j] = float(s[j] / rows);
  const float* mp = m.data();
  channel_sums(rows, c, 1, s.data(), [&](int64_t r, float* __restrict acc) {
    const float* __restrict px = x + r * c;
    const float* __restrict mu = mp;
    for (int64_t j = 0; j < c; j++) { const float d = px[j] - mu[j]; acc[j] += d * d; }
  });
  std::vector<float> scale(c), shift(c);
  for (int64_t j = 0; j < c; j++) {
    var[j] = float(s[j] / rows);
    scale[j] = float(gamma[j] / std::sqrt(double(var[j]) + eps));
    shift[j] = beta[j] - m[j] * scale[j];
  }
#pragma omp parallel for schedule(static) if (rows * c > 32768)
  for (int64_t r = 0; r < rows; r++) {
    const float* __restrict px = x + r * c;
    const float* __restrict sc = scale.data();
    const float* __restrict sh = shift.data();
    float* __restrict py = y + r * c;
    for (int64_t j = 0; j < c; j++) py[j] = px[j] * sc[j] + sh[j];
  }
  return env.Undefined();
}

// batchNormBackward(dy, x, gamma, mean, variance, dx, dgamma, dbeta, rows, c, eps)
Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const int64_t rows = info[8].As<Napi::Number>().Int64Value(), c = info[9].As<Napi::Number>().Int64Value();
  const float eps = info[10].As<Napi::Number>().FloatValue();
  for (int i : {0, 1, 5}) check_len(env, info[i], rows * c, "batchNormBackward [rows, c] array");
  for (int i : {2, 3, 4, 6, 7}) check_len(env, info[i], c, "batchNormBackward per-channel array");
  const float *dy = f32(info[0], "dy"), *x = f32(info[1], "x"), *gamma = f32(info[2], "gamma");
  const float *mean = f32(info[3], "mean"), *var = f32(info[4], "variance");
  float *dx = f32(info[5], "dx"), *dgamma = f32(info[6], "dgamma"), *dbeta = f32(info[7], "dbeta");
  std::vector<double> s(2 * c);
  channel_sums(rows, c, 2, s.data(), [&](int64_t r, float* __restrict acc) {
    const float* __restrict g = dy + r * c;
    const float* __restrict px = x + r * c;
    const float* __restrict mu = mean;
    float* __restrict acc2 = acc + c;
    for (int64_t j = 0; j < c; j++) { acc[j] += g[j]; acc2[j] += g[j] * (px[j] - mu[j]); }
  });
  std::vector<float> a(c), b(c), k(c);
  for (int64_t j = 0; j < c; j++) {
    const double inv = 1.0 / std::sqrt(double(var[j]) + eps);
    dbeta[j] = float(s[j]);
    dgamma[j] = float(s[c + j] * inv);
    a[j] = float(gamma[j] * inv);
    const double kk = gamma[j] * inv * inv * inv * s[c + j] / rows;
    k[j] = float(kk);
    b[j] = float(gamma[j] * inv * s[j] / rows - kk * mean[j]);
  }
#pragma omp parallel for schedule(static) if (rows * c > 32768)
  for (int64_t r = 0; r < rows; r++) {
    const float* __restrict g = dy + r * c;
    const float* __restrict px = x + r * c;
    const float *__restrict av = a.data(), *__restrict bv = b.data(), *__restrict kv = k.data();
    float* __restrict d = dx + r * c;
    for (int64_t j = 0; j < c; j++) d[j] = av[j] * g[j] - bv[j] - kv[j] * px[j];
  }
  return env.Undefined();
}


// preluGrad(dy, x, alpha, dx, dalpha, rows, c): x, dy, dx are [rows, c]; alpha has c
// values (per channel) or 1 (shared). Matches tfjs's Prelu gradient:
// dx = x > 0 ? dy : alpha*dy;  dalpha = sum over positions of (x > 0 ? 0 : dy*x).
Napi::Value PreluGrad(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const int64_t rows = info[5].As<Napi::Number>().Int64Value(), c = info[6].As<Napi::Number>().Int64Value();
  for (int i : {0, 1, 3}) check_len(env, info[i], rows * c, "preluGrad [rows, c] array");
  const int64_t alen = f32len(info[2]);
  if (alen != c && alen != 1)
    throw Napi::RangeError::New(env, "preluGrad: alpha must have 1 or " + std::to_string(c) + " values, got " + std::to_string(alen));
  check_len(env, info[4], alen, "preluGrad dalpha");
  const float *dy = f32(info[0], "dy"), *x = f32(info[1], "x"), *alpha = f32(info[2], "alpha");
  float *dx = f32(info[3], "dx"), *dalpha = f32(info[4], "dalpha");
  std::vector<float> al(c);
  for (int64_t j = 0; j < c; j++) al[j] = alpha[alen == 1 ? 0 : j];
  // One pass: dx rows are disjoint, so they are written inside the parallel reduction.
  std::vector<double> s(c);
  const float* alp = al.data();
  channel_sums(rows, c, 1, s.data(), [&](int64_t r, float* acc_) {
    // restrict-qualified locals: without them the stores may alias the inputs and the loop stays scalar.
    const float* __restrict g = dy + r * c;
    const float* __restrict px = x + r * c;
    const float* __restrict a = alp;
    float* __restrict d = dx + r * c;
    float* __restrict acc = acc_;
    for (int64_t j = 0; j < c; j++) {
      const float v = g[j] * px[j];
      d[j] = g[j] * (px[j] > 0 ? 1.f : a[j]);
      acc[j] += px[j] > 0 ? 0.f : v;
    }
  });
  if (alen == 1) {
    double t = 0;
    for (int64_t j = 0; j < c; j++) t += s[j];
    dalpha[0] = float(t);
  } else {
    for (int64_t j = 0; j < c; j++) dalpha[j] = float(s[j]);
  }
  return env.Undefined();
}

// ---------------------------------------------------------------- row gather
// gatherRows(x, ids, row, out): out[i, :] = x[ids[i], :] for rows of `row` floats (ids checked by the caller).
Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const int64_t row = info[2].As<Napi::Number>().Int64Value();
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(env, "gatherRows: ids must be an Int32Array");
  auto ids = info[1].As<Napi::Int32Array>();
  const int64_t n = ids.ElementLength(), nx = f32len(info[0]);
  check_len(env, info[3], n * row, "gatherRows out");
  const float* x = f32(info[0], "x");
  float* out = f32(info[3], "out");
  const int32_t* id = ids.Data();
  for (int64_t i = 0; i < n; i++)
    if (id[i] < 0 || (id[i] + 1) * row > nx) throw Napi::RangeError::New(env, "gatherRows: index " + std::to_string(id[i]) + " out of range");
#pragma omp parallel for if (n * row >= kParMin) schedule(static)
  for (int64_t i = 0; i < n; i++) std::memcpy(out + i * row, x + id[i] * row, row * sizeof(float));
  return env.Undefined();
}

// ---------------------------------------------------------------- MIMOConv bind + bundle
// bindBundle(x, w, out, g, n, p, c): x [G, n, P, C] (n images per superposition, P pixels),
// w [n, C_in, C_out] (image j's binding matrix, transposed), out [G, P, C]:
// out[g, p, :] = sum_j x[g, j, p, :] · w[j]. One pass over x; no [G, P, n, C] copy.
// Four pixels at a time, so that four independent accumulator chains hide the FMA latency;
// the usual widths (C = 16, 32, 64) get compile-time sizes that keep them in registers.
template <int64_t CT>
void bind_bundle_rows(const float* x, const float* w, float* out, int64_t G, int64_t n, int64_t P, int64_t Cdyn) {
  const int64_t C = CT > 0 ? CT : Cdyn;
  constexpr int64_t R = 4;
  const int64_t blocks = (P + R - 1) / R;
#pragma omp parallel for if (G * P * C * n >= kParMin) schedule(static)
  for (int64_t bidx = 0; bidx < G * blocks; bidx++) {
    const int64_t g = bidx / blocks, p0 = (bidx % blocks) * R, rows = std::min(R, P - p0);
    float* o = out + (g * P + p0) * C;
    if (rows < R || CT == 0) {  // edge block or unusual width: plain loops
      for (int64_t k = 0; k < rows * C; k++) o[k] = 0.f;
      for (int64_t j = 0; j < n; j++)
        for (int64_t r = 0; r < rows; r++) {
          const float* xr = x + ((g * n + j) * P + p0 + r) * C;
          for (int64_t i = 0; i < C; i++)
            for (int64_t k = 0; k < C; k++) o[r * C + k] += xr[i] * w[(j * C + i) * C + k];
        }
      continue;
    }
    float acc[R][CT > 0 ? CT : 1] = {};
    for (int64_t j = 0; j < n; j++) {
      const float* xr = x + ((g * n + j) * P + p0) * CT;
      const float* wj = w + j * CT * CT;
      for (int64_t i = 0; i < CT; i++) {
        const float* wr = wj + i * CT;
        for (int64_t r = 0; r < R; r++) {
          const float a = xr[r * CT + i];
#pragma omp simd
          for (int64_t k = 0; k < CT; k++) acc[r][k] += a * wr[k];
        }
      }
    }
    for (int64_t r = 0; r < R; r++) std::memcpy(o + r * CT, acc[r], CT * sizeof(float));
  }
}

Napi::Value BindBundle(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const int64_t G = info[3].As<Napi::Number>().Int64Value(), n = info[4].As<Napi::Number>().Int64Value();
  const int64_t P = info[5].As<Napi::Number>().Int64Value(), C = info[6].As<Napi::Number>().Int64Value();
  check_len(env, info[0], G * n * P * C, "bindBundle x");
  check_len(env, info[1], n * C * C, "bindBundle w");
  check_len(env, info[2], G * P * C, "bindBundle out");
  const float *x = f32(info[0], "x"), *w = f32(info[1], "w");
  float* out = f32(info[2], "out");
  switch (C) {
    case 16: bind_bundle_rows<16>(x, w, out, G, n, P, C); break;
    case 32: bind_bundle_rows<32>(x, w, out, G, n, P, C); break;
    case 64: bind_bundle_rows<64>(x, w, out, G, n, P, C); break;
    default: bind_bundle_rows<0>(x, w, out, G, n, P, C);
  }
  return env.Undefined();
}

// ---------------------------------------------------------------- dropout
// dropout(x, y, threshold, scale, key): y[i] = x[i]·scale if the top 24 bits of
// h(h(i ^ key) + key) are below threshold, else 0; h = lowbias32. The same mask as the JS
// loop of src/ops/dropout.ts, bit for bit.
inline uint32_t lowbias32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

Napi::Value Dropout(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const int64_t n = f32len(info[0]);
  check_len(env, info[1], n, "dropout y");
  if (n > 0xffffffffLL) throw Napi::RangeError::New(env, "dropout: more than 2^32 elements");
  const uint32_t threshold = info[2].As<Napi::Number>().Uint32Value();
  const float scale = info[3].As<Napi::Number>().FloatValue();
  const uint32_t key = info[4].As<Napi::Number>().Uint32Value();
  const float* x = f32(info[0], "x");
  float* y = f32(info[1], "y");
#pragma omp parallel for simd if (n >= kParMin) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const uint32_t h = lowbias32(lowbias32(static_cast<uint32_t>(i) ^ key) + key);
    y[i] = (h >> 8) < threshold ? x[i] * scale : 0.f;
  }
  return env.Undefined();
}

// ---------------------------------------------------------------- layer norm
// layerNorm(x, gamma, beta, y, mean, inv, rows, d, eps): per row of x [rows, d],
// y = gamma*(x - mean)*inv + beta with inv = 1/sqrt(var + eps) (biased var). Only y is a
// full-size output: the gradient recomputes x̂ = (x - mean)*inv from x.
Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const int64_t rows = info[6].As<Napi::Number>().Int64Value(), d = info[7].As<Napi::Number>().Int64Value();
  const float eps = info[8].As<Napi::Number>().FloatValue();
  for (int i : {0, 3}) check_len(env, info[i], rows * d, "layerNorm [rows, d] array");
  for (int i : {1, 2}) check_len(env, info[i], d, "layerNorm gamma/beta");
  for (int i : {4, 5}) check_len(env, info[i], rows, "layerNorm mean/inv");
  const float *x = f32(info[0], "x"), *gamma = f32(info[1], "gamma"), *beta = f32(info[2], "beta");
  float *y = f32(info[3], "y"), *mean = f32(info[4], "mean"), *inv = f32(info[5], "inv");
#pragma omp parallel for if (rows * d >= kParMin) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float* __restrict px = x + r * d;
    const float *__restrict g = gamma, *__restrict b = beta;
    float* __restrict py = y + r * d;
    // omp simd: the sums in vector lanes (a scalar chain of dependent adds made this
    // 12x slower than an elementwise op of the same size).
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < d; j++) s += px[j];
    const float mu = s / d;
    float s2 = 0;
#pragma omp simd reduction(+ : s2)
    for (int64_t j = 0; j < d; j++) { const float c = px[j] - mu; s2 += c * c; }
    const float iv = 1.f / std::sqrt(s2 / d + eps);
    mean[r] = mu;
    inv[r] = iv;
    for (int64_t j = 0; j < d; j++) py[j] = (px[j] - mu) * iv * g[j] + b[j];
  }
  return env.Undefined();
}

// layerNormGrad(dy, x, mean, inv, gamma, dx, dgamma, dbeta, rows, d), with x̂ = (x - mean)*inv:
// dx = inv*(g - mean(g) - x̂*mean(g*x̂)) with g = gamma*dy; dgamma = sum dy*x̂, dbeta = sum dy.
Napi::Value LayerNormGrad(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const int64_t rows = info[8].As<Napi::Number>().Int64Value(), d = info[9].As<Napi::Number>().Int64Value();
  for (int i : {0, 1, 5}) check_len(env, info[i], rows * d, "layerNormGrad [rows, d] array");
  for (int i : {2, 3}) check_len(env, info[i], rows, "layerNormGrad mean/inv");
  for (int i : {4, 6, 7}) check_len(env, info[i], d, "layerNormGrad per-feature array");
  const float *dy = f32(info[0], "dy"), *x = f32(info[1], "x"), *mean = f32(info[2], "mean"), *inv = f32(info[3], "inv");
  const float* gamma = f32(info[4], "gamma");
  float *dx = f32(info[5], "dx"), *dgamma = f32(info[6], "dgamma"), *dbeta = f32(info[7], "dbeta");
  std::vector<double> s(2 * d);
  // dgamma and dbeta are column sums; dx rows are disjoint and written in the same pass.
  channel_sums(rows, d, 2, s.data(), [&](int64_t r, float* __restrict acc) {
    const float *__restrict gy = dy + r * d, *__restrict px = x + r * d, *__restrict g = gamma;
    float* __restrict o = dx + r * d;
    float* __restrict acc2 = acc + d;
    const float mu = mean[r], iv = inv[r];
    float sg = 0, sgx = 0;
#pragma omp simd reduction(+ : sg, sgx)
    for (int64_t j = 0; j < d; j++) {
      const float h = (px[j] - mu) * iv, gj = g[j] * gy[j];
      sg += gj;
      sgx += gj * h;
      acc[j] += gy[j] * h;
      acc2[j] += gy[j];
    }
    const float mg = sg / d, mgx = sgx / d;
    for (int64_t j = 0; j < d; j++) o[j] = iv * (g[j] * gy[j] - mg - (px[j] - mu) * iv * mgx);
  });
  for (int64_t j = 0; j < d; j++) { dgamma[j] = float(s[j]); dbeta[j] = float(s[d + j]); }
  return env.Undefined();
}

// ---------------------------------------------------------------- MIMOFormer superposition
// Bind-and-bundle and unbind of MIMOFormer attention, one pass each (see
// src/models/mimoformer/superpose_ops.ts for the formulas; b = (g*M + m)*N + n).
// dims = [B, L, H, D, M, N, rows]: x [B,L,H,D]; beta [M,N,D]; mask [B,L] or null;
// bundles [G,H,K,L,D] with K = rows ? M : N (rows: sum over n, else over m).
struct Grid7 {
  int64_t B, L, H, D, M, N, rows, G, K, J;
  explicit Grid7(const std::vector<int64_t>& d)
      : B(d[0]), L(d[1]), H(d[2]), D(d[3]), M(d[4]), N(d[5]), rows(d[6]),
        G(d[0] / (d[4] * d[5])), K(d[6] ? d[4] : d[5]), J(d[6] ? d[5] : d[4]) {}
};

Grid7 grid7(const Napi::Env& env, const Napi::Value& v) {
  Grid7 g(ints(v, 7, "superpose dims"));
  if (g.M < 1 || g.N < 1 || g.B % (g.M * g.N) != 0 || g.L < 1 || g.H < 1 || g.D < 1)
    throw Napi::RangeError::New(env, "superpose dims: batch " + std::to_string(g.B) + " is not a multiple of M*N");
  return g;
}

// superposeBundle(x, beta, mask|null, out, dims, scale) and, with grad = true,
// superposeBundleGrad(dy, beta, mask|null, dx, dims, scale): dx[b] = scale*mask*beta_mn*dy[bundle row].
template <bool grad>
Napi::Value SuperposeBundle(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const Grid7 g = grid7(env, info[4]);
  const bool masked = !info[2].IsNull() && !info[2].IsUndefined();
  const float scale = info[5].As<Napi::Number>().FloatValue();
  const int64_t nx = g.B * g.L * g.H * g.D, nb = g.G * g.H * g.K * g.L * g.D;
  check_len(env, info[0], grad ? nb : nx, grad ? "superposeBundleGrad dy" : "superposeBundle x");
  check_len(env, info[1], g.M * g.N * g.D, "superpose beta");
  if (masked) check_len(env, info[2], g.B * g.L, "superpose mask");
  check_len(env, info[3], grad ? nx : nb, grad ? "superposeBundleGrad dx" : "superposeBundle out");
  const float *in = f32(info[0], "in"), *beta = f32(info[1], "beta"), *mask = masked ? f32(info[2], "mask") : nullptr;
  float* out = f32(info[3], "out");
  const int64_t rows = g.G * g.H * g.K * g.L, D = g.D;
  // Heads innermost: the J rows read for consecutive q are whole [H, D] blocks of x
  // (l outermost would read each 512-byte block H times, a head at a time).
#pragma omp parallel for if (rows * D >= kParMin) schedule(static)
  for (int64_t q = 0; q < rows; q++) {
    const int64_t h = q % g.H, l = (q / g.H) % g.L, k = (q / (g.H * g.L)) % g.K, gg = q / (g.H * g.L * g.K);
    const int64_t r = ((gg * g.H + h) * g.K + k) * g.L + l;  // bundle row [G, H, K, L]
    float* __restrict o = grad ? nullptr : out + r * D;
    if (!grad) std::fill(o, o + D, 0.f);
    for (int64_t j = 0; j < g.J; j++) {
      const int64_t m = g.rows ? k : j, n = g.rows ? j : k, b = (gg * g.M + m) * g.N + n;
      const float c = scale * (mask ? mask[b * g.L + l] : 1.f);
      const float* __restrict bt = beta + (m * g.N + n) * D;
      const int64_t xo = ((b * g.L + l) * g.H + h) * D;
      if (grad) {
        const float* __restrict dy = in + r * D;
        float* __restrict dx = out + xo;
        for (int64_t i = 0; i < D; i++) dx[i] = c * bt[i] * dy[i];
      } else {
        const float* __restrict x = in + xo;
        for (int64_t i = 0; i < D; i++) o[i] += c * bt[i] * x[i];
      }
    }
  }
  return env.Undefined();
}

// arrangeGrid(x, mask|null, out, dims = [B, L, D, M, N, rows]) lays out the J sequences of
// each bundle side by side, for a projection that binds and bundles in one product:
// out[k, g*L + l, :] = [c_0 x[b_0, l, :], c_0, ..., c_{J-1} x[b_{J-1}, l, :], c_{J-1}],
// b_j = (g*M + m)*N + n with (m, n) = rows ? (k, j) : (j, k), c_j = mask[b_j, l] (1 unmasked).
// arrangeGridGrad(dy, mask|null, dx, dims): dx[b_j, l, :] = c_j * dy[k, g*L + l, j*(D+1) : j*(D+1) + D].
template <bool grad>
Napi::Value ArrangeGrid(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto d = ints(info[3], 6, "arrangeGrid dims");
  const int64_t B = d[0], L = d[1], D = d[2], M = d[3], N = d[4];
  const bool rows = d[5] != 0;
  if (M < 1 || N < 1 || B % (M * N) != 0) throw Napi::RangeError::New(env, "arrangeGrid: batch is not a multiple of M*N");
  const int64_t G = B / (M * N), K = rows ? M : N, J = rows ? N : M, W = J * (D + 1);
  const bool masked = !info[1].IsNull() && !info[1].IsUndefined();
  check_len(env, info[0], grad ? K * G * L * W : B * L * D, grad ? "arrangeGridGrad dy" : "arrangeGrid x");
  if (masked) check_len(env, info[1], B * L, "arrangeGrid mask");
  check_len(env, info[2], grad ? B * L * D : K * G * L * W, grad ? "arrangeGridGrad dx" : "arrangeGrid out");
  const float *in = f32(info[0], "in"), *mask = masked ? f32(info[1], "mask") : nullptr;
  float* out = f32(info[2], "out");
  const int64_t R = K * G * L;
#pragma omp parallel for if (R * W >= kParMin) schedule(static)
  for (int64_t r = 0; r < R; r++) {
    const int64_t l = r % L, g = (r / L) % G, k = r / (L * G);
    for (int64_t j = 0; j < J; j++) {
      const int64_t m = rows ? k : j, n = rows ? j : k, b = (g * M + m) * N + n;
      const float c = mask ? mask[b * L + l] : 1.f;
      if (grad) {
        const float* __restrict dy = in + r * W + j * (D + 1);
        float* __restrict dx = out + (b * L + l) * D;
        for (int64_t i = 0; i < D; i++) dx[i] = c * dy[i];
      } else {
        const float* __restrict x = in + (b * L + l) * D;
        float* __restrict o = out + r * W + j * (D + 1);
        for (int64_t i = 0; i < D; i++) o[i] = c * x[i];
        o[D] = c;
      }
    }
  }
  return env.Undefined();
}

// superposeUnbind(num, den, beta, out, dims): num [G,H,N,L,D], den [G,H,N,L,M],
// out[b,l,h,:] = beta_mn * num[g,h,n,l,:] / den[g,h,n,l,m]. dims as above (rows unused).
// superposeUnbindGrad(dy, num, den, beta, dnum, dden, dims).
Napi::Value SuperposeUnbind(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const Grid7 g = grid7(env, info[4]);
  const int64_t nr = g.G * g.H * g.N * g.L, D = g.D;
  check_len(env, info[0], nr * D, "superposeUnbind num");
  check_len(env, info[1], nr * g.M, "superposeUnbind den");
  check_len(env, info[2], g.M * g.N * D, "superposeUnbind beta");
  check_len(env, info[3], g.B * g.L * g.H * D, "superposeUnbind out");
  const float *num = f32(info[0], "num"), *den = f32(info[1], "den"), *beta = f32(info[2], "beta");
  float* out = f32(info[3], "out");
  // Heads innermost, so consecutive rows of out[b, l, :, :] are written together.
#pragma omp parallel for if (nr * D >= kParMin) schedule(static)
  for (int64_t q = 0; q < nr; q++) {
    const int64_t h = q % g.H, l = (q / g.H) % g.L, n = (q / (g.H * g.L)) % g.N, gg = q / (g.H * g.L * g.N);
    const int64_t r = ((gg * g.H + h) * g.N + n) * g.L + l;  // num row [G, H, N, L]
    const float* __restrict nu = num + r * D;
    for (int64_t m = 0; m < g.M; m++) {
      const int64_t b = (gg * g.M + m) * g.N + n;
      const float inv = 1.f / den[r * g.M + m];
      const float* __restrict bt = beta + (m * g.N + n) * D;
      float* __restrict o = out + ((b * g.L + l) * g.H + h) * D;
      for (int64_t i = 0; i < D; i++) o[i] = bt[i] * nu[i] * inv;
    }
  }
  return env.Undefined();
}

Napi::Value SuperposeUnbindGrad(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const Grid7 g = grid7(env, info[6]);
  const int64_t nr = g.G * g.H * g.N * g.L, D = g.D;
  check_len(env, info[0], g.B * g.L * g.H * D, "superposeUnbindGrad dy");
  check_len(env, info[1], nr * D, "superposeUnbindGrad num");
  check_len(env, info[2], nr * g.M, "superposeUnbindGrad den");
  check_len(env, info[3], g.M * g.N * D, "superposeUnbindGrad beta");
  check_len(env, info[4], nr * D, "superposeUnbindGrad dnum");
  check_len(env, info[5], nr * g.M, "superposeUnbindGrad dden");
  const float *dy = f32(info[0], "dy"), *num = f32(info[1], "num"), *den = f32(info[2], "den"), *beta = f32(info[3], "beta");
  float *dnum = f32(info[4], "dnum"), *dden = f32(info[5], "dden");
  // Heads innermost, so consecutive rows of out[b, l, :, :] are written together.
#pragma omp parallel for if (nr * D >= kParMin) schedule(static)
  for (int64_t q = 0; q < nr; q++) {
    const int64_t h = q % g.H, l = (q / g.H) % g.L, n = (q / (g.H * g.L)) % g.N, gg = q / (g.H * g.L * g.N);
    const int64_t r = ((gg * g.H + h) * g.N + n) * g.L + l;  // num row [G, H, N, L]
    const float* __restrict nu = num + r * D;
    float* __restrict dn = dnum + r * D;
    std::fill(dn, dn + D, 0.f);
    for (int64_t m = 0; m < g.M; m++) {
      const int64_t b = (gg * g.M + m) * g.N + n;
      const float inv = 1.f / den[r * g.M + m];
      const float* __restrict bt = beta + (m * g.N + n) * D;
      const float* __restrict gy = dy + ((b * g.L + l) * g.H + h) * D;
      float s = 0.f;
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < D; i++) {
        const float t = bt[i] * gy[i];
        dn[i] += t * inv;
        s += t * nu[i];
      }
      dden[r * g.M + m] = -s * inv * inv;
    }
  }
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

// Which implementation serves a conv forward of this signature ("jit:avx2", "mimo_wino_4x3", ...).
Napi::Value ConvImplInfo(const Napi::CallbackInfo& info) {
  auto sig = ints(info[0], 17, "convImplInfo sig");
  if (own_wino(Conv(sig))) return Napi::String::New(info.Env(), "mimo_wino_4x3");
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

}  // namespace

NODE_API_MODULE(mimo_native, Init)
