// The addon's entry points, one per export (module.cc registers them). Each takes caller-owned
// typed arrays; the comment above each definition gives its arguments.
#pragma once
#include "common.h"

namespace mimo {

// conv.cc
Napi::Value Conv2dForward(const Napi::CallbackInfo& info);
Napi::Value Conv2dBackwardData(const Napi::CallbackInfo& info);
Napi::Value Conv2dBackwardWeights(const Napi::CallbackInfo& info);
// matmul.cc
Napi::Value Matmul(const Napi::CallbackInfo& info);
void clear_matmul_cache();
// elementwise.cc
Napi::Value Binary(const Napi::CallbackInfo& info);
Napi::Value Unary(const Napi::CallbackInfo& info);
Napi::Value PreluGrad(const Napi::CallbackInfo& info);
// reduce.cc
Napi::Value Reduce(const Napi::CallbackInfo& info);
// layout_ops.cc
Napi::Value Tile(const Napi::CallbackInfo& info);
Napi::Value Transpose(const Napi::CallbackInfo& info);
Napi::Value GatherRows(const Napi::CallbackInfo& info);
// pooling.cc
Napi::Value Pool2dForward(const Napi::CallbackInfo& info);
Napi::Value Pool2dBackward(const Napi::CallbackInfo& info);
// norm.cc
Napi::Value BatchNorm(const Napi::CallbackInfo& info);
Napi::Value BatchNormForward(const Napi::CallbackInfo& info);
Napi::Value BatchNormBackward(const Napi::CallbackInfo& info);
Napi::Value LayerNorm(const Napi::CallbackInfo& info);
Napi::Value LayerNormGrad(const Napi::CallbackInfo& info);
// dropout.cc
Napi::Value Dropout(const Napi::CallbackInfo& info);
// superpose.cc (grad = true: the gradient's kernel)
Napi::Value BindBundle(const Napi::CallbackInfo& info);
template <bool grad>
Napi::Value SuperposeBundle(const Napi::CallbackInfo& info);
template <bool grad>
Napi::Value ArrangeGrid(const Napi::CallbackInfo& info);
Napi::Value SuperposeUnbind(const Napi::CallbackInfo& info);
Napi::Value SuperposeUnbindGrad(const Napi::CallbackInfo& info);

}  // namespace mimo
