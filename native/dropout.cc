// Dropout with a counter-based hash mask, bit for bit the mask of src/ops/dropout.ts.
#include "ops.h"

namespace mimo {

namespace {

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

}  // namespace

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

}  // namespace mimo
