// Reductions (sum, mean, max, min) over the middle dim of [outer, reduce, inner]; op codes shared
// with src/backend/reduce_kernels.ts.
#include "ops.h"

namespace mimo {

namespace {

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

}  // namespace

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

}  // namespace mimo
