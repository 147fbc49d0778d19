// Fuzzes the JPEG and PNG decoders (libjpeg-turbo's TurboJPEG, libpng's simplified API) and the
// ImageNet transforms behind them, on file images in memory. A file that decodes must hold
// height x width x channels pixels and agree with its header; its evaluation and training
// transforms must write finite values only. Seeds (fuzz/corpus/image, written with PIL): RGB, grey,
// grey + alpha, RGBA, palette and 16-bit PNGs; baseline 4:4:4 and 4:2:0, progressive, grey and
// CMYK JPEGs, each about 10 x 12 pixels.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_support.h"
#include "nnmass/data/image_decode.h"
#include "nnmass/data/image_transform.h"

namespace {

// Keeps the transform's work small whatever the image size.
constexpr int kSize = 8;

void check_transforms(const nnmass::Image& image, uint64_t seed) {
  nnmass::ImageTransform t;
  t.size = kSize;
  t.resize = kSize + 1;
  t.mean = {0.5f};
  t.stdev = {0.25f};
  std::vector<float> out(static_cast<size_t>(image.channels) * kSize * kSize);
  for (bool augment : {false, true}) {
    t.augment = augment;
    nnmass::transform_image(image, t, seed, out.data());
    for (float v : out) nnmass::fuzz::require(std::isfinite(v), "transform wrote a non-finite value");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nnmass::fuzz::run_expecting_errors_only([&] {
    const nnmass::ImageHeader header = nnmass::read_image_header(data, size, "fuzz.img");
    for (int channels : {1, 3}) {
      const nnmass::Image image = nnmass::decode_image(data, size, channels, "fuzz.img");
      nnmass::fuzz::require(image.channels == channels && image.height == header.height && image.width == header.width,
                            "decoded image disagrees with its header");
      nnmass::fuzz::require(image.pixels.size() == static_cast<size_t>(image.height) * image.width * channels,
                            "decoded pixel count differs from height x width x channels");
      if (static_cast<int64_t>(image.height) * image.width <= 1 << 16) check_transforms(image, size);
    }
  });
  return 0;
}
