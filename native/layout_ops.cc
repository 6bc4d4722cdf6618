// Ops that only move data: Tile, Transpose and a row gather.
#include "ops.h"

namespace mimo {

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

}  // namespace mimo
