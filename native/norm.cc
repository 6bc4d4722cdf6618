// Normalisation: batch norm with given statistics (inference), batch norm in training (batch
// statistics, forward and backward) and layer norm (forward and backward). Column sums accumulate
// per thread in float blocks folded into double (channel_sums in common.h).
#include "ops.h"

namespace mimo {

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

}  // namespace mimo
