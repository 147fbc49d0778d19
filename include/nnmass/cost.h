// #params, MACs and FLOPs in closed form, exactly what the built libtorch module has.
//   params: every weight and bias, BatchNorm's affine weight and bias included (running stats are
//           buffers, not parameters).
//   MACs:   multiply-accumulates of Linear and Conv layers (k*k*in/groups*out per output pixel).
//   FLOPs:  2*MACs + bias additions (the official code's convention). BatchNorm, activations,
//           pooling and residual additions are not counted.
#pragma once

#include <cstdint>

#include "nnmass/spec.h"

namespace nnmass {

struct Cost {
  int64_t params = 0;
  int64_t macs = 0;
  int64_t flops = 0;
  int64_t activations = 0;  // outputs of every Linear/Conv layer for one sample (memory estimates)
};

// Cost of a valid spec; throws SpecError if a count overflows 64 bits.
Cost count_cost(const Spec& spec);

// Spatial size after a conv/pool with kernel k, stride s, padding p (floor convention).
int64_t conv_out_size(int64_t in, int kernel, int stride, int padding);

}  // namespace nnmass
