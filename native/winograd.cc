// oneDNN 2.6 implements f32 Winograd for AVX-512 only. Elsewhere (AVX2 machines) the
// convolutions Conv::wino admits run this F(4x4, 3x3) (Lavin & Gray 2016, points 0, ±1, ±2, ∞):
// per 4x4 output tile the 6x6 input patch and the 3x3 filter are transformed (V = Bᵀ d B,
// U = G g Gᵀ), multiplied per transformed point as 36 GEMMs [tiles, C]·[C, O], and transformed
// back (Y = Aᵀ M A), block of tiles by block of tiles. Backward data is the same forward pass
// over dy with the filter flipped and transposed; backward weights is the adjoint of the
// filter's path: dU = Σ over blocks of Vᵀ·(A dY Aᵀ) as 36 GEMMs [C, tiles]·[tiles, O], then
// dg = Gᵀ dU G. MIMO_CONV_WINOGRAD=own uses it on every machine (tests), =0 turns Winograd off.
#include "winograd.h"

namespace mimo {

namespace wg {
namespace {
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
}  // namespace
}  // namespace wg

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

}  // namespace mimo
