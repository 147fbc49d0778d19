// JPEG and PNG files decoded to 8-bit pixels, without libtorch (so they can be fuzzed on their
// own): JPEG through libjpeg-turbo's TurboJPEG API, PNG through libpng's simplified API. The
// format is told by the file's first bytes, not its name (ImageNet holds a PNG named .JPEG).
// Images come out as uint8 HWC with 1 (grey) or 3 (RGB) channels, converted as PIL's
// Image.convert does for torchvision's ImageFolder: grey is repeated into RGB, RGB becomes grey by
// ITU-R 601 luma (a colour JPEG's too, from its RGB, not from libjpeg's luma plane), alpha is
// dropped (not composited), palettes are expanded, CMYK/YCCK JPEGs (Adobe's inverted ink) become
// RGB; 16-bit samples become round(v / 257) (where PIL clips grey ones at 255). Every failure is one
// IoError line naming the file and what is wrong. Not done: EXIF orientation (PIL ignores it
// too), colour profiles, animated PNG frames beyond the first. Differs from PIL: libpng converts
// a PNG whose gAMA chunk is far from sRGB's to sRGB (PIL ignores gAMA).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nnmass {

// Decoded pixels, row-major height x width x channels.
struct Image {
  int height = 0, width = 0, channels = 0;  // channels: 1 (grey) or 3 (RGB)
  std::vector<uint8_t> pixels;              // height * width * channels bytes
};

// What a file's header says, without decoding its pixels.
struct ImageHeader {
  int height = 0, width = 0;
  int channels = 0;  // 1: stored as grey; 3: stored in colour (RGB, palette, CMYK, ...)
};

// Images larger than this are refused before their pixels are allocated (a 16-byte header can
// claim 65535 x 65535): 2^28 pixels, 0.8 GB as RGB, far above any training image.
constexpr int64_t kMaxImagePixels = int64_t{1} << 28;
// Image files larger than this are refused before they are read.
constexpr int64_t kMaxImageFileBytes = int64_t{1} << 28;

// The bytes of an image file; IoError naming the path if it cannot be read.
std::vector<uint8_t> read_image_file(const std::string& path);

// The header of a JPEG or PNG file image; `what` names it in errors.
ImageHeader read_image_header(const uint8_t* data, size_t size, const std::string& what);

// Decodes a JPEG or PNG file image to `channels` (1 or 3) channels; `what` names it in errors.
// A truncated file is an error (as PIL's default), not a partly grey image.
Image decode_image(const uint8_t* data, size_t size, int channels, const std::string& what);

}  // namespace nnmass
