// Elementwise float32 kernels: broadcast binaries, unaries and the PReLU gradient. Each mirrors
// the arithmetic of tfjs's cpu kernel, NaN handling included, so the cpu backend stays an
// exact-enough oracle. Op codes are shared with src/backend/elementwise_kernels.ts.
#include "ops.h"

namespace mimo {

namespace {

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

}  // namespace

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

}  // namespace mimo
