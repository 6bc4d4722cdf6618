// What the kernel files share: engine, stream, arena and argument helpers (common.h).
#include "common.h"

namespace mimo {

engine& eng() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
// One stream per thread, like the primitive caches below: `mimo serve` runs inference on a
// worker thread while the main thread may run models too.
stream& strm() {
  static thread_local stream s(eng());
  return s;
}

// Primitives get their scratchpad from the calling thread's arena (user mode) rather than
// oneDNN's shared global one, which two threads executing at once (e.g. Winograd's transform
// buffers) would corrupt.
primitive_attr with_user_scratchpad(primitive_attr a) {
  a.set_scratchpad_mode(scratchpad_mode::user);
  return a;
}


Arena& arena() {
  static thread_local Arena a;
  return a;
}
// A memory object for `md` over the thread's buffer for `slot`.
memory arena_memory(const memory::desc& md, int slot) { return memory(md, eng(), arena().get(slot, md.get_size())); }

float* f32(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected a Float32Array");
  auto a = v.As<Napi::Float32Array>();
  return a.Data();
}
size_t f32len(const Napi::Value& v) { return v.As<Napi::Float32Array>().ElementLength(); }

std::vector<int64_t> ints(const Napi::Value& v, size_t n, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected an Int32Array");
  auto a = v.As<Napi::Int32Array>();
  if (a.ElementLength() != n)
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected " + std::to_string(n) +
                                            " ints, got " + std::to_string(a.ElementLength()));
  return std::vector<int64_t>(a.Data(), a.Data() + n);
}

std::string key_of(char kind, const std::vector<int64_t>& v) {
  std::string k(1, kind);
  k.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(int64_t));
  return k;
}

std::string fused_key(char kind, std::vector<int64_t> sig, bool with_bias, int act, float alpha) {
  int32_t abits;
  std::memcpy(&abits, &alpha, 4);
  sig.push_back(with_bias);
  sig.push_back(act);
  sig.push_back(abits);
  return key_of(kind, sig);
}

void check_len(const Napi::Env& env, const Napi::Value& v, size_t want, const char* what) {
  if (f32len(v) != want)
    throw Napi::RangeError::New(env, std::string(what) + ": expected " + std::to_string(want) +
                                         " floats, got " + std::to_string(f32len(v)));
}

int64_t chunks_for(int64_t n) { return n < kParMin ? 1 : omp_get_max_threads(); }

// Any-length Int32Array of dims, as int64.
std::vector<int64_t> shape_arg(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected an Int32Array shape");
  auto a = v.As<Napi::Int32Array>();
  std::vector<int64_t> s(a.Data(), a.Data() + a.ElementLength());
  for (auto d : s)
    if (d < 0) throw Napi::RangeError::New(v.Env(), std::string(what) + ": negative dimension");
  return s;
}

int64_t numel(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); i++) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

std::vector<float> channel_tile(const float* v, int64_t c) {
  const int64_t len = (kTile / c + 2) * c;
  std::vector<float> t(len);
  for (int64_t i = 0; i < len; i++) t[i] = v[i % c];
  return t;
}

}  // namespace mimo
