// The ImageNet transforms of torchvision, on decoded images (image_decode.h), without libtorch:
//   training:   RandomResizedCrop(size, scale=(0.08, 1), ratio=(3/4, 4/3)) + RandomHorizontalFlip(0.5)
//   evaluation: Resize(resize) (short side) + CenterCrop(size)
// then x = (p / 255 - mean[c]) / stdev[c] (ToTensor + Normalize), written as float CHW.
// Crop boxes, output sizes and rounding are torchvision 0.14's (Python's round-half-to-even
// included). Resizing is bilinear with align_corners=False and no antialiasing, rounded back to
// uint8: torchvision's tensor path (F.resize(..., antialias=False) on a uint8 tensor), not PIL's
// (PIL's bilinear filter widens its support when it shrinks, i.e. antialiases). A sample's random
// draws come from its own seed, so they do not depend on which thread transforms it.
#pragma once

#include <cstdint>
#include <vector>

#include "nnmass/data/image_decode.h"

namespace nnmass {

// A rectangle of pixels: rows top..top+height-1, columns left..left+width-1.
struct PixelBox {
  int top = 0, left = 0, height = 0, width = 0;
};

struct ImageTransform {
  int size = 224;              // side of the square output
  int resize = 256;            // evaluation: the short side before the centre crop (>= size)
  bool augment = false;        // true: random resized crop + flip; false: resize + centre crop
  std::vector<float> mean;     // per channel (one value: every channel)
  std::vector<float> stdev;    // per channel (one value: every channel), positive
};

// How one sample becomes the output: `box` of the source, resized to scaled_height x
// scaled_width, of which `window` is kept, mirrored if `flip`.
struct SamplePlan {
  PixelBox box;
  int scaled_height = 0, scaled_width = 0;
  PixelBox window;
  bool flip = false;
};

// torchvision's RandomResizedCrop.get_params on a height x width image: 10 tries of a random
// area fraction in [0.08, 1] and log-uniform aspect ratio in [3/4, 4/3], then the centre crop of
// the ratio-clamped whole image. Draws from `seed`.
PixelBox random_resized_crop_box(int height, int width, uint64_t seed);

// Resize(resize)'s output size (short side = resize, long side truncated as torchvision does),
// and CenterCrop(size)'s window in it.
SamplePlan resize_center_crop_plan(int height, int width, int resize, int size);

// The plan of one sample of a height x width image; `seed` draws the crop and flip.
SamplePlan plan_sample(int height, int width, const ImageTransform& transform, uint64_t seed);

// The `window` of `plan.box` of `image` bilinearly resized to scaled_height x scaled_width
// (align_corners=False; source coordinates clamped to the box), rounded to uint8 (half to even).
// `flip` is not applied here.
Image resample(const Image& image, const SamplePlan& plan);

// Writes `image` (size x size x C) as float CHW: out[c][y][x] = (p / 255 - mean[c]) / stdev[c],
// mirrored left-right if `flip`. `out` holds C * size * size floats.
void write_normalised(const Image& image, bool flip, const std::vector<float>& mean, const std::vector<float>& stdev,
                      float* out);

// All of it: plan, resample, normalise into `out` (C * size * size floats).
void transform_image(const Image& image, const ImageTransform& transform, uint64_t seed, float* out);

}  // namespace nnmass
