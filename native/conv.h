// Convolutions on oneDNN (conv.cc) and our Winograd where oneDNN has none (winograd.cc):
// the shape signature they share, and what the rest of the addon asks of them.
//
// Layouts: activations are NHWC (tfjs's layout) and passed as such to oneDNN. Weights
// are HWIO in tfjs; oneDNN is told `format_tag::any` for them and we reorder once per
// call into its blocked layout, because plain hwio/ohwi weights make oneDNN fall back
// to its reference kernel (orders of magnitude slower).
#pragma once
#include "common.h"

namespace mimo {

// MIMO_CONV_WINOGRAD: 0 = never Winograd, own = ours (winograd.cc) on every machine, else oneDNN's
// where it has one (AVX-512) and ours elsewhere.
enum class WinoMode { Off, Auto, Own };
WinoMode wino_mode();

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

// oneDNN post-ops for an activation code (none for PReLU: the caller applies it).
primitive_attr act_attr(int act, float alpha);
// The forward primitive descriptor: Winograd where eligible and available, else direct.
convolution_forward::primitive_desc conv_fwd_pd(const Conv& s, bool with_bias, const primitive_attr& attr);
bool is_wino(const convolution_forward::primitive_desc& pd);
// Which implementation serves a conv forward of this signature ("jit:avx2", "mimo_wino_4x3", ...).
std::string conv_impl_info(const std::vector<int64_t>& sig);
// Drops this thread's cached convolution primitives.
void clear_conv_cache();

}  // namespace mimo
