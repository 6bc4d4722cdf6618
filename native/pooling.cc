// Max and average pooling (NHWC), forward and backward.
#include "ops.h"

namespace mimo {

// Signature (12 ints): n h w c fh fw oh ow sh sw pt pl. Semantics follow tfjs's cpu
// kernels exactly (first strictly-greater maximum wins; average over the valid window;
// AvgPoolGrad divides by the full window size, as tfjs does).
namespace {
struct Pool {
  int64_t n, h, w, c, fh, fw, oh, ow, sh, sw, pt, pl;
  explicit Pool(const std::vector<int64_t>& s)
      : n(s[0]), h(s[1]), w(s[2]), c(s[3]), fh(s[4]), fw(s[5]), oh(s[6]), ow(s[7]), sh(s[8]),
        sw(s[9]), pt(s[10]), pl(s[11]) {}
};
}  // namespace

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

}  // namespace mimo
