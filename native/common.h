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
// One file per concept (native/README.md lists them); this header holds what they share: the
// oneDNN engine and stream, the per-thread arena, argument helpers and the parallel-loop helpers.
#pragma once
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

namespace mimo {

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
using dims = memory::dims;

engine& eng();
stream& strm();
primitive_attr with_user_scratchpad(primitive_attr a);

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
Arena& arena();
// A memory object for `md` over the thread's buffer for `slot`.
memory arena_memory(const memory::desc& md, int slot);

// Argument helpers: a Float32Array's data (TypeError naming `what` otherwise), its length, an
// Int32Array of exactly n ints, a cache key of a kind letter and ints, a length check.
float* f32(const Napi::Value& v, const char* what);
size_t f32len(const Napi::Value& v);
std::vector<int64_t> ints(const Napi::Value& v, size_t n, const char* what);
std::string key_of(char kind, const std::vector<int64_t>& v);
// The key of a primitive with a fused bias and activation: the signature, then with_bias, act and alpha's bits.
std::string fused_key(char kind, std::vector<int64_t> sig, bool with_bias, int act, float alpha);
void check_len(const Napi::Env& env, const Napi::Value& v, size_t want, const char* what);
// Any-length Int32Array of dims, as int64; the element count; "[a,b,c]".
std::vector<int64_t> shape_arg(const Napi::Value& v, const char* what);
int64_t numel(const std::vector<int64_t>& s);
std::string shape_str(const std::vector<int64_t>& s);

// The interface version src/backend/addon.ts expects (ADDON_ABI): bump both whenever an
// export is added or changes its arguments, so a stale build is refused, not half-used.
constexpr int kAbi = 2;

// Below this many elements an op runs on the calling thread: an OpenMP fork/join costs
// microseconds, more than the whole op.
constexpr int64_t kParMin = 32768;
// How many chunks an elementwise loop over n values is split into: 1 below kParMin.
int64_t chunks_for(int64_t n);

// Activation codes shared with src/backend/kernel_util.ts (activationCode, PRELU_ACT).
enum Act { ACT_NONE = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_ELU = 3, ACT_SIGMOID = 4, ACT_LEAKY = 5, ACT_PRELU = 6 };

// A [c] vector repeated to at least kTile + c floats, so that tile + (i % c) read for
// kTile elements gives the vector's values for positions i, i+1, ... of a [rows, c] array.
constexpr int64_t kTile = 512;
std::vector<float> channel_tile(const float* v, int64_t c);

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

}  // namespace mimo
