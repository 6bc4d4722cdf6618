// The superposition kernels: MIMOConv's bind-and-bundle of n images per superposition, and
// MIMOFormer attention's bind-and-bundle and unbind over its M x N grid of keys.
#include "ops.h"

namespace mimo {

namespace {

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

}  // namespace

// ---------------------------------------------------------------- MIMOConv bind + bundle
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

// ---------------------------------------------------------------- MIMOFormer superposition
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

template Napi::Value SuperposeBundle<false>(const Napi::CallbackInfo&);
template Napi::Value SuperposeBundle<true>(const Napi::CallbackInfo&);
template Napi::Value ArrangeGrid<false>(const Napi::CallbackInfo&);
template Napi::Value ArrangeGrid<true>(const Napi::CallbackInfo&);

}  // namespace mimo
