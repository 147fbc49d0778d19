// JPEG (TurboJPEG) and PNG (libpng's simplified API) decoding to uint8 HWC; see image_decode.h.
// Conversions follow PIL, which torchvision's ImageFolder uses: luma L = (19595 R + 38470 G +
// 7471 B + 2^15) >> 16, CMYK -> RGB as R = (255 - K) - C (255 - K) / 255, alpha dropped.
#include "nnmass/data/image_decode.h"

#include <png.h>
#include <sys/stat.h>
#include <turbojpeg.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "nnmass/error.h"

namespace nnmass {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& problem) { throw IoError(what + ": " + problem); }

bool is_jpeg(const uint8_t* d, size_t n) { return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF; }

bool is_png(const uint8_t* d, size_t n) {
  static const uint8_t kMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  return n >= 8 && std::memcmp(d, kMagic, 8) == 0;
}

std::string hex_start(const uint8_t* d, size_t n) {
  std::string text;
  char byte[8];
  for (size_t i = 0; i < n && i < 4; ++i) {
    std::snprintf(byte, sizeof byte, "%s%02x", i ? " " : "", d[i]);
    text += byte;
  }
  return text;
}

[[noreturn]] void fail_format(const uint8_t* d, size_t n, const std::string& what) {
  if (n == 0) fail(what, "empty file; expected a JPEG or PNG image");
  fail(what, "not a JPEG or PNG image (it starts with bytes " + hex_start(d, n) + ")");
}

void check_size(int64_t height, int64_t width, const std::string& what) {
  if (height <= 0 || width <= 0) fail(what, "image has no pixels (" + std::to_string(width) + " x " + std::to_string(height) + ")");
  if (height * width > kMaxImagePixels)
    fail(what, "image is " + std::to_string(width) + " x " + std::to_string(height) + " pixels, more than the " +
                   std::to_string(kMaxImagePixels) + " this reader takes");
}

// PIL's luma of gamma-encoded RGB (ITU-R 601-2 weights in 16-bit fixed point).
uint8_t luma(const uint8_t* rgb) {
  return static_cast<uint8_t>((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16);
}

// The image with `channels` channels: grey repeated into RGB, or RGB reduced to luma.
Image convert_channels(Image image, int channels) {
  if (image.channels == channels) return image;
  const size_t n = static_cast<size_t>(image.height) * image.width;
  std::vector<uint8_t> out(n * channels);
  for (size_t p = 0; p < n; ++p) {
    if (channels == 3)
      out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = image.pixels[p];
    else
      out[p] = luma(&image.pixels[3 * p]);
  }
  image.pixels = std::move(out);
  image.channels = channels;
  return image;
}

// ---------------------------------------------------------------------------------------------
// JPEG

struct TjDeleter {
  void operator()(void* handle) const { tjDestroy(handle); }
};
using TjHandle = std::unique_ptr<void, TjDeleter>;

TjHandle open_decompressor(const std::string& what) {
  TjHandle handle(tjInitDecompress());
  if (!handle) fail(what, std::string("cannot start the JPEG decoder: ") + tjGetErrorStr2(nullptr));
  return handle;
}

struct JpegHeader {
  int width = 0, height = 0, colorspace = 0;
};

JpegHeader jpeg_header(tjhandle handle, const uint8_t* d, size_t n, const std::string& what) {
  JpegHeader h;
  int subsampling = 0;
  if (tjDecompressHeader3(handle, d, static_cast<unsigned long>(n), &h.width, &h.height, &subsampling, &h.colorspace) != 0)
    fail(what, std::string("corrupt JPEG header (") + tjGetErrorStr2(handle) + ")");
  check_size(h.height, h.width, what);
  return h;
}

// Whether an APP14 "Adobe" segment precedes the scan data: Adobe's CMYK JPEGs store inverted
// ink (PIL reads them as "CMYK;I"); YCCK JPEGs are always Adobe's.
bool has_adobe_marker(const uint8_t* d, size_t n) {
  size_t i = 2;  // after SOI
  while (i + 4 <= n && d[i] == 0xFF) {
    const uint8_t marker = d[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return false;  // start of scan, end of image
    const size_t length = (static_cast<size_t>(d[i + 2]) << 8) | d[i + 3];
    if (marker == 0xEE && length >= 7 && i + 9 <= n && std::memcmp(d + i + 4, "Adobe", 5) == 0) return true;
    i += 2 + length;
  }
  return false;
}

// 255 * a * b / 255^2 rounded as PIL's MULDIV255.
int muldiv255(int a, int b) {
  const int t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

Image cmyk_to_rgb(const std::vector<uint8_t>& cmyk, int height, int width, bool inverted) {
  Image rgb{height, width, 3, std::vector<uint8_t>(static_cast<size_t>(height) * width * 3)};
  for (size_t p = 0; p < static_cast<size_t>(height) * width; ++p) {
    const uint8_t* s = &cmyk[4 * p];
    const int k = inverted ? 255 - s[3] : s[3], nk = 255 - k;
    for (int c = 0; c < 3; ++c) {
      const int ink = inverted ? 255 - s[c] : s[c];
      rgb.pixels[3 * p + c] = static_cast<uint8_t>(nk - muldiv255(ink, nk));
    }
  }
  return rgb;
}

// TurboJPEG reports warnings (recoverable damage) and errors alike as -1. A warning that the data
// ended early is a truncated file; other warnings (extraneous bytes between markers, which PIL
// accepts too) leave a complete image.
void check_decompressed(tjhandle handle, int status, const std::string& what) {
  if (status == 0) return;
  const std::string message = tjGetErrorStr2(handle);
  const bool warning = tjGetErrorCode(handle) == TJERR_WARNING;
  if (!warning) fail(what, "corrupt JPEG (" + message + ")");
  if (message.find("remature end") != std::string::npos) fail(what, "truncated JPEG (" + message + ")");
}

Image decode_jpeg(const uint8_t* d, size_t n, int channels, const std::string& what) {
  TjHandle handle = open_decompressor(what);
  const JpegHeader h = jpeg_header(handle.get(), d, n, what);
  const bool cmyk = h.colorspace == TJCS_CMYK || h.colorspace == TJCS_YCCK;
  // libjpeg converts CMYK to nothing else: take the ink and convert it here. A colour image
  // becomes grey from its upsampled RGB, as PIL does, not from libjpeg's luma plane.
  const bool grey = channels == 1 && h.colorspace == TJCS_GRAY;
  const int format = cmyk ? TJPF_CMYK : grey ? TJPF_GRAY : TJPF_RGB;
  const int bytes_per_pixel = tjPixelSize[format];
  std::vector<uint8_t> pixels(static_cast<size_t>(h.height) * h.width * bytes_per_pixel);
  const int status = tjDecompress2(handle.get(), d, static_cast<unsigned long>(n), pixels.data(), h.width,
                                   /*pitch=*/0, h.height, format, TJFLAG_LIMITSCANS);
  check_decompressed(handle.get(), status, what);
  if (!cmyk) return convert_channels(Image{h.height, h.width, grey ? 1 : 3, std::move(pixels)}, channels);
  const bool inverted = h.colorspace == TJCS_YCCK || has_adobe_marker(d, n);
  return convert_channels(cmyk_to_rgb(pixels, h.height, h.width, inverted), channels);
}

// ---------------------------------------------------------------------------------------------
// PNG

// png_image_free on every way out (safe to call twice).
struct PngImage {
  png_image image{};
  PngImage() { image.version = PNG_IMAGE_VERSION; }
  ~PngImage() { png_image_free(&image); }
};

void begin_png(PngImage& png, const uint8_t* d, size_t n, const std::string& what) {
  if (!png_image_begin_read_from_memory(&png.image, d, n))
    fail(what, std::string("corrupt PNG header (") + png.image.message + ")");
  check_size(png.image.height, png.image.width, what);
}

// The first `keep` of every `stride` bytes (drops the alpha channel).
std::vector<uint8_t> drop_alpha(const std::vector<uint8_t>& in, int keep, int stride) {
  std::vector<uint8_t> out(in.size() / stride * keep);
  for (size_t p = 0, o = 0; p < in.size(); p += stride)
    for (int c = 0; c < keep; ++c) out[o++] = in[p + c];
  return out;
}

Image decode_png(const uint8_t* d, size_t n, int channels, const std::string& what) {
  PngImage png;
  begin_png(png, d, n, what);
  // Read in the file's own colour model (palettes expanded, 16 bits reduced), keeping alpha so
  // that it can be dropped as PIL does rather than composited.
  const bool colour = png.image.format & PNG_FORMAT_FLAG_COLOR, alpha = png.image.format & PNG_FORMAT_FLAG_ALPHA;
  png.image.format = (colour ? PNG_FORMAT_FLAG_COLOR : 0) | (alpha ? PNG_FORMAT_FLAG_ALPHA : 0);
  // 16-bit samples without gAMA/sRGB chunks are gamma-encoded like 8-bit ones (libpng would
  // otherwise take them as linear light and re-encode them): reduced to 8 bits, not re-curved.
  png.image.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
  const int native = colour ? 3 : 1, stride = native + (alpha ? 1 : 0);
  Image image{static_cast<int>(png.image.height), static_cast<int>(png.image.width), native, {}};
  std::vector<uint8_t> raw(static_cast<size_t>(image.height) * image.width * stride);
  if (!png_image_finish_read(&png.image, /*background=*/nullptr, raw.data(), image.width * stride,
                             /*colormap=*/nullptr))
    fail(what, std::string("corrupt or truncated PNG (") + png.image.message + ")");
  image.pixels = alpha ? drop_alpha(raw, native, stride) : std::move(raw);
  return convert_channels(std::move(image), channels);
}

}  // namespace

std::vector<uint8_t> read_image_file(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) fail(path, std::string("cannot open (") + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(::fileno(file.get()), &st) != 0 || !S_ISREG(st.st_mode)) fail(path, "not a regular file");
  if (st.st_size > kMaxImageFileBytes)
    fail(path, std::to_string(st.st_size) + " bytes, more than the " + std::to_string(kMaxImageFileBytes) +
                   " an image file may have");
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  if (std::fread(bytes.data(), 1, bytes.size(), file.get()) != bytes.size())
    fail(path, std::string("read failed (") + std::strerror(errno) + ")");
  return bytes;
}

ImageHeader read_image_header(const uint8_t* d, size_t n, const std::string& what) {
  if (is_jpeg(d, n)) {
    TjHandle handle = open_decompressor(what);
    const JpegHeader h = jpeg_header(handle.get(), d, n, what);
    return {h.height, h.width, h.colorspace == TJCS_GRAY ? 1 : 3};
  }
  if (is_png(d, n)) {
    PngImage png;
    begin_png(png, d, n, what);
    return {static_cast<int>(png.image.height), static_cast<int>(png.image.width),
            png.image.format & PNG_FORMAT_FLAG_COLOR ? 3 : 1};
  }
  fail_format(d, n, what);
}

Image decode_image(const uint8_t* d, size_t n, int channels, const std::string& what) {
  if (channels != 1 && channels != 3) throw SpecError("images decode to 1 or 3 channels, not " + std::to_string(channels));
  if (is_jpeg(d, n)) return decode_jpeg(d, n, channels, what);
  if (is_png(d, n)) return decode_png(d, n, channels, what);
  fail_format(d, n, what);
}

}  // namespace nnmass
