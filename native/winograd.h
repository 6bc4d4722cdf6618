// Our Winograd F(4x4, 3x3) convolution, for the convolutions Conv::wino admits where oneDNN has
// no Winograd of its own (winograd.cc).
#pragma once
#include "conv.h"

namespace mimo {

// Whether this convolution runs our Winograd: Conv::wino admits it and oneDNN has none here.
bool own_wino(const Conv& s);
void own_wino_forward(const Conv& s, const float* x, const float* w, const float* bias, int act, float alpha, float* y);
void own_wino_backward_data(const Conv& s, const float* dy, const float* w, float* dx);
void own_wino_backward_weights(const Conv& s, const float* x, const float* dy, float* dw);

}  // namespace mimo
