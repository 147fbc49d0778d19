// Tests of image folders (data/image_*): JPEG and PNG files written here with libpng and TurboJPEG
// decode pixel-exactly (PNG: RGB, grey, alpha, palette) or closely (JPEG, CMYK included); channel
// conversions follow PIL's formulas; torchvision's Resize + CenterCrop geometry (banker's
// rounding included) and bilinear resampling against a brute-force reference; RandomResizedCrop
// stays inside the image and is seeded; the folder's class order, labels and checks; the loader
// gives the same batches on 1 and 3 threads and reports a corrupt file as an IoError naming it;
// train() runs on a tiny folder; Fashion-MNIST written as PNGs decodes to the IDX pixels exactly;
// the command line's one-line errors.
#include <gtest/gtest.h>
#include <png.h>
#include <sys/wait.h>
#include <turbojpeg.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "data_test_support.h"
#include "nnmass/data/batch_source.h"
#include "nnmass/data/dataset.h"
#include "nnmass/data/image_decode.h"
#include "nnmass/data/image_folder.h"
#include "nnmass/data/image_loader.h"
#include "nnmass/data/image_transform.h"
#include "nnmass/error.h"
#include "nnmass/nn/network.h"
#include "nnmass/train/trainer.h"

namespace nnmass {
namespace {

namespace fs = std::filesystem;
using test::ScratchDir;
using test::throws_with;

// ---------------------------------------------------------------------------------------------
// Writing images (the libraries' own encoders)

Image make_image(int height, int width, int channels, const std::function<int(int, int, int)>& value) {
  Image image{height, width, channels, std::vector<uint8_t>(static_cast<size_t>(height) * width * channels)};
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c)
        image.pixels[(static_cast<size_t>(y) * width + x) * channels + c] = static_cast<uint8_t>(value(y, x, c));
  return image;
}

// Smooth content (JPEG's favourite), different per channel and per `seed`.
Image smooth_image(int height, int width, int channels, int seed) {
  return make_image(height, width, channels, [=](int y, int x, int c) {
    return static_cast<int>(128 + 90 * std::sin(0.11 * x + 0.7 * c + seed) * std::cos(0.07 * y - 0.3 * seed));
  });
}

std::vector<uint8_t> bytes_of(const Image& image) { return image.pixels; }

// `format`: PNG_FORMAT_GRAY, _GA, _RGB, _RGBA (buffer with that many channels).
void write_png(const std::string& path, int height, int width, png_uint_32 format, const std::vector<uint8_t>& buffer,
               const std::vector<uint8_t>& colormap = {}) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = width;
  png.height = height;
  png.format = format;
  png.colormap_entries = static_cast<png_uint_32>(colormap.size() / 3);
  ASSERT_TRUE(png_image_write_to_file(&png, path.c_str(), 0, buffer.data(), 0, colormap.empty() ? nullptr : colormap.data()))
      << png.message;
}

void write_png(const std::string& path, const Image& image) {
  write_png(path, image.height, image.width, image.channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY, image.pixels);
}

// A 16-bit grey PNG without gAMA or sRGB chunks, assembled by hand (libpng's simplified writer
// marks 16-bit data as linear light): signature, IHDR, one IDAT of filter-0 rows, IEND.
std::string png16_grey_bytes(int height, int width, const std::vector<uint16_t>& values) {
  const auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  const auto chunk = [&](const std::string& type, const std::string& body) {
    const std::string typed = type + body;
    return be32(body.size()) + typed +
           be32(crc32(0, reinterpret_cast<const Bytef*>(typed.data()), static_cast<uInt>(typed.size())));
  };
  std::string rows;
  for (int y = 0; y < height; ++y) {
    rows.push_back(0);  // filter: none
    for (int x = 0; x < width; ++x) {
      const uint16_t v = values[y * width + x];
      rows += {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
    }
  }
  uLongf packed_size = compressBound(rows.size());
  std::string packed(packed_size, '\0');
  EXPECT_EQ(compress(reinterpret_cast<Bytef*>(&packed[0]), &packed_size, reinterpret_cast<const Bytef*>(rows.data()),
                     rows.size()),
            Z_OK);
  packed.resize(packed_size);
  const std::string ihdr = be32(width) + be32(height) + std::string{16, 0, 0, 0, 0};  // depth 16, grey
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", packed) + chunk("IEND", "");
}

std::string jpeg_bytes(const uint8_t* pixels, int height, int width, int pixel_format, int subsampling, int quality) {
  tjhandle handle = tjInitCompress();
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const int status = tjCompress2(handle, pixels, width, 0, height, pixel_format, &out, &size, subsampling, quality, 0);
  std::string bytes = status == 0 ? std::string(reinterpret_cast<char*>(out), size) : std::string();
  EXPECT_EQ(status, 0) << tjGetErrorStr2(handle);
  tjFree(out);
  tjDestroy(handle);
  return bytes;
}

void write_jpeg(const std::string& path, const Image& image, int quality = 95) {
  const bool rgb = image.channels == 3;
  test::write_bytes(path, jpeg_bytes(image.pixels.data(), image.height, image.width, rgb ? TJPF_RGB : TJPF_GRAY,
                                     rgb ? TJSAMP_444 : TJSAMP_GRAY, quality));
}

Image decode_file(const std::string& path, int channels) {
  const std::vector<uint8_t> bytes = read_image_file(path);
  return decode_image(bytes.data(), bytes.size(), channels, path);
}

double mean_abs_error(const Image& a, const Image& b) {
  EXPECT_EQ(a.pixels.size(), b.pixels.size());
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size() && i < b.pixels.size(); ++i) sum += std::abs(a.pixels[i] - b.pixels[i]);
  return sum / static_cast<double>(a.pixels.size());
}

// ---------------------------------------------------------------------------------------------
// Decoding

TEST(ImageDecodeTest, PngDecodesPixelExactInEveryColourModel) {
  ScratchDir dir;
  const Image rgb = make_image(7, 9, 3, [](int y, int x, int c) { return (y * 37 + x * 11 + c * 101) % 256; });
  write_png(dir.file("rgb.png"), rgb);
  EXPECT_EQ(bytes_of(decode_file(dir.file("rgb.png"), 3)), rgb.pixels);

  const Image grey = make_image(5, 4, 1, [](int y, int x, int) { return y * 50 + x; });
  write_png(dir.file("grey.png"), grey);
  const Image back = decode_file(dir.file("grey.png"), 1);
  EXPECT_EQ(back.channels, 1);
  EXPECT_EQ(back.pixels, grey.pixels);

  // Alpha is dropped as PIL's convert("RGB") does, not composited: colours survive any alpha.
  const Image rgba = make_image(3, 4, 4, [](int y, int x, int c) { return c == 3 ? x * 60 : y * 80 + x * 10 + c; });
  write_png(dir.file("rgba.png"), 3, 4, PNG_FORMAT_RGBA, rgba.pixels);
  const Image no_alpha = decode_file(dir.file("rgba.png"), 3);
  for (size_t p = 0; p < 12; ++p)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(no_alpha.pixels[3 * p + c], rgba.pixels[4 * p + c]) << p;

  // A palette image decodes to its palette's colours.
  const std::vector<uint8_t> palette = {255, 0, 0, 0, 128, 0, 10, 20, 30};
  const std::vector<uint8_t> indices = {0, 1, 2, 2, 1, 0};
  write_png(dir.file("palette.png"), 2, 3, PNG_FORMAT_RGB_COLORMAP, indices, palette);
  const Image expanded = decode_file(dir.file("palette.png"), 3);
  for (size_t p = 0; p < indices.size(); ++p)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(expanded.pixels[3 * p + c], palette[3 * indices[p] + c]) << p;

  // 16-bit samples are gamma-encoded like 8-bit ones: reduced to round(v / 257), not re-curved.
  const std::vector<uint16_t> deep = {0, 257, 1000, 32896, 50000, 65535};
  test::write_bytes(dir.file("deep.png"), png16_grey_bytes(2, 3, deep));
  const Image reduced = decode_file(dir.file("deep.png"), 1);
  for (size_t p = 0; p < deep.size(); ++p) EXPECT_EQ(reduced.pixels[p], std::lround(deep[p] / 257.0)) << deep[p];
}

TEST(ImageDecodeTest, ChannelsAreConvertedAsPilDoes) {
  ScratchDir dir;
  const Image grey = make_image(3, 3, 1, [](int y, int x, int) { return 20 * y + 70 * x; });
  write_png(dir.file("grey.png"), grey);
  const Image rgb = decode_file(dir.file("grey.png"), 3);  // L -> RGB repeats the value
  for (size_t p = 0; p < 9; ++p)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(rgb.pixels[3 * p + c], grey.pixels[p]);

  const Image colour = make_image(2, 2, 3, [](int y, int x, int c) { return (c == 0 ? 200 : c == 1 ? 100 : 30) + y + x; });
  write_png(dir.file("colour.png"), colour);
  const Image luma = decode_file(dir.file("colour.png"), 1);
  for (size_t p = 0; p < 4; ++p) {  // PIL: L = (19595 R + 38470 G + 7471 B + 2^15) >> 16
    const uint8_t* c = &colour.pixels[3 * p];
    EXPECT_EQ(luma.pixels[p], (c[0] * 19595 + c[1] * 38470 + c[2] * 7471 + 0x8000) >> 16);
  }
  // A colour JPEG becomes grey the same way, from its decoded RGB.
  write_jpeg(dir.file("colour.jpg"), smooth_image(16, 16, 3, 9), 80);
  const Image jpeg_rgb = decode_file(dir.file("colour.jpg"), 3), jpeg_grey = decode_file(dir.file("colour.jpg"), 1);
  for (size_t p = 0; p < 256; ++p) {
    const uint8_t* c = &jpeg_rgb.pixels[3 * p];
    ASSERT_EQ(jpeg_grey.pixels[p], (c[0] * 19595 + c[1] * 38470 + c[2] * 7471 + 0x8000) >> 16) << p;
  }
}

TEST(ImageDecodeTest, JpegDecodesCloseToItsSource) {
  ScratchDir dir;
  const Image rgb = smooth_image(48, 64, 3, 1);
  write_jpeg(dir.file("a.jpg"), rgb);
  const Image back = decode_file(dir.file("a.jpg"), 3);
  ASSERT_EQ(back.height, 48);
  ASSERT_EQ(back.width, 64);
  EXPECT_LT(mean_abs_error(back, rgb), 1.5);

  const Image grey = smooth_image(30, 20, 1, 2);
  write_jpeg(dir.file("g.jpeg"), grey);
  const std::vector<uint8_t> bytes = read_image_file(dir.file("g.jpeg"));
  EXPECT_EQ(read_image_header(bytes.data(), bytes.size(), "g").channels, 1);
  const Image grey_back = decode_file(dir.file("g.jpeg"), 1);
  EXPECT_EQ(grey_back.channels, 1);
  EXPECT_LT(mean_abs_error(grey_back, grey), 1.5);
}

TEST(ImageDecodeTest, CmykJpegBecomesRgb) {
  // TurboJPEG writes CMYK as an Adobe YCCK JPEG, whose samples are inverted ink (255: none), as
  // Photoshop stores them. Pure colours: no ink is white; full cyan ink leaves green + blue.
  ScratchDir dir;
  std::vector<uint8_t> cmyk;
  for (int p = 0; p < 16 * 16; ++p) {
    const bool cyan = (p % 16) < 8;
    cmyk.insert(cmyk.end(), {static_cast<uint8_t>(cyan ? 0 : 255), 255, 255, 255});
  }
  test::write_bytes(dir.file("cmyk.jpg"), jpeg_bytes(cmyk.data(), 16, 16, TJPF_CMYK, TJSAMP_444, 100));
  const Image rgb = decode_file(dir.file("cmyk.jpg"), 3);
  ASSERT_EQ(rgb.channels, 3);
  const uint8_t* cyan = &rgb.pixels[3 * (4 * 16 + 2)];
  const uint8_t* white = &rgb.pixels[3 * (4 * 16 + 13)];
  EXPECT_LE(cyan[0], 6);
  EXPECT_GE(cyan[1], 249);
  EXPECT_GE(cyan[2], 249);
  for (int c = 0; c < 3; ++c) EXPECT_GE(white[c], 249);
}

TEST(ImageDecodeTest, FormatIsToldByContentNotName) {
  ScratchDir dir;
  const Image rgb = make_image(4, 4, 3, [](int y, int x, int c) { return y + x + c; });
  write_png(dir.file("really_a_png.jpg"), rgb);
  EXPECT_EQ(bytes_of(decode_file(dir.file("really_a_png.jpg"), 3)), rgb.pixels);
}

TEST(ImageDecodeTest, DamagedFilesAreOneLineIoErrorsNamingTheFile) {
  ScratchDir dir;
  std::string jpeg = jpeg_bytes(smooth_image(64, 64, 3, 3).pixels.data(), 64, 64, TJPF_RGB, TJSAMP_420, 90);
  write_png(dir.file("whole.png"), smooth_image(32, 32, 3, 4));
  const std::string png = test::read_bytes(dir.file("whole.png"));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"cut.jpg", jpeg.substr(0, jpeg.size() / 2)},
      {"cut.png", png.substr(0, png.size() / 2)},
      {"header_only.jpg", jpeg.substr(0, 20)},
      {"text.png", "this is not an image\n"},
      {"empty.jpg", ""},
  };
  for (const auto& [name, content] : cases) {
    test::write_bytes(dir.file(name), content);
    EXPECT_TRUE(throws_with<IoError>([&] { decode_file(dir.file(name), 3); }, {dir.file(name)})) << name;
  }
  EXPECT_TRUE(throws_with<IoError>([&] { read_image_file(dir.file("missing.png")); }, {dir.file("missing.png"), "cannot open"}));
  EXPECT_TRUE(throws_with<IoError>([&] { decode_file(dir.file("text.png"), 3); }, {"not a JPEG or PNG image"}));
}

// ---------------------------------------------------------------------------------------------
// Transforms

TEST(ImageTransformTest, ResizeAndCenterCropFollowTorchvision) {
  // Resize(256) of 250 x 300 (w x h): short side 256, long int(256 * 300 / 250) = int(307.2) = 307;
  // CenterCrop(224): top round((307 - 224) / 2) = round(41.5) = 42 (half to even), left 16.
  SamplePlan p = resize_center_crop_plan(/*height=*/300, /*width=*/250, 256, 224);
  EXPECT_EQ(p.scaled_height, 307);
  EXPECT_EQ(p.scaled_width, 256);
  EXPECT_EQ(p.window.top, 42);
  EXPECT_EQ(p.window.left, 16);
  EXPECT_EQ(p.window.height, 224);
  // 250 x 298: int(305.152) = 305; round(40.5) = 40 (half to even).
  p = resize_center_crop_plan(298, 250, 256, 224);
  EXPECT_EQ(p.scaled_height, 305);
  EXPECT_EQ(p.window.top, 40);
  // Landscape: the height is the short side.
  p = resize_center_crop_plan(100, 400, 32, 28);
  EXPECT_EQ(p.scaled_height, 32);
  EXPECT_EQ(p.scaled_width, 128);
  EXPECT_EQ(p.window.left, 50);
}

TEST(ImageTransformTest, CenterCropOfAKnownImageIsExact) {
  // Resize to its own short side is the identity, so the output is the pixels of the window.
  const Image image = make_image(10, 8, 3, [](int y, int x, int c) { return 20 * y + 2 * x + c; });
  ImageTransform t;
  t.size = 6;
  t.resize = 8;
  t.mean = {0.0f};
  t.stdev = {1.0f};
  std::vector<float> out(3 * 6 * 6);
  transform_image(image, t, /*seed=*/0, out.data());
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 6; ++y)
      for (int x = 0; x < 6; ++x)  // window top round(2) = 2, left round(1) = 1
        ASSERT_EQ(out[(c * 6 + y) * 6 + x], static_cast<float>(20 * (y + 2) + 2 * (x + 1) + c) / 255.0f);
}

// Bilinear (align_corners=False) by the textbook, in double precision.
double reference_bilinear(const Image& im, const PixelBox& box, int scaled_h, int scaled_w, int y, int x, int c) {
  const auto source = [](int dst, int in, int out) { return std::max((dst + 0.5) * in / out - 0.5, 0.0); };
  const double sy = source(y, box.height, scaled_h), sx = source(x, box.width, scaled_w);
  const int y0 = std::min(static_cast<int>(sy), box.height - 1), x0 = std::min(static_cast<int>(sx), box.width - 1);
  const int y1 = std::min(y0 + 1, box.height - 1), x1 = std::min(x0 + 1, box.width - 1);
  const double fy = sy - y0, fx = sx - x0;
  const auto p = [&](int yy, int xx) { return im.pixels[((box.top + yy) * im.width + box.left + xx) * im.channels + c]; };
  return (1 - fy) * ((1 - fx) * p(y0, x0) + fx * p(y0, x1)) + fy * ((1 - fx) * p(y1, x0) + fx * p(y1, x1));
}

TEST(ImageTransformTest, BilinearResamplingMatchesTheTextbook) {
  const Image image = smooth_image(23, 31, 3, 5);
  for (const auto& [box, scaled_h, scaled_w] : std::vector<std::tuple<PixelBox, int, int>>{
           {{0, 0, 23, 31}, 12, 17}, {{3, 5, 15, 20}, 40, 33}, {{0, 0, 23, 31}, 23, 31}, {{2, 2, 1, 1}, 4, 4}}) {
    SamplePlan plan;
    plan.box = box;
    plan.scaled_height = scaled_h;
    plan.scaled_width = scaled_w;
    plan.window = {0, 0, scaled_h, scaled_w};
    const Image out = resample(image, plan);
    for (int y = 0; y < scaled_h; ++y)
      for (int x = 0; x < scaled_w; ++x)
        for (int c = 0; c < 3; ++c)  // float vs double rounding may differ by one at a tie
          ASSERT_NEAR(out.pixels[(y * scaled_w + x) * 3 + c], reference_bilinear(image, box, scaled_h, scaled_w, y, x, c),
                      0.5 + 1e-3)
              << scaled_h << "x" << scaled_w << " at " << y << "," << x;
  }
  // Halving averages each 2 x 2 block (source = 2 dst + 1/2).
  const Image four = make_image(4, 4, 1, [](int y, int x, int) { return 10 * y + 2 * x; });
  SamplePlan half;
  half.box = {0, 0, 4, 4};
  half.scaled_height = half.scaled_width = 2;
  half.window = {0, 0, 2, 2};
  EXPECT_EQ(resample(four, half).pixels, (std::vector<uint8_t>{6, 10, 26, 30}));  // 5.5 -> 6, 9.5 -> 10 (to even)
}

TEST(ImageTransformTest, RandomResizedCropIsSeededAndStaysInside) {
  int fallback_free = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const PixelBox b = random_resized_crop_box(/*height=*/120, /*width=*/90, seed);
    ASSERT_GE(b.top, 0);
    ASSERT_GE(b.left, 0);
    ASSERT_LE(b.top + b.height, 120);
    ASSERT_LE(b.left + b.width, 90);
    const double area = static_cast<double>(b.height) * b.width / (120.0 * 90.0);
    const double ratio = static_cast<double>(b.width) / b.height;
    if (area >= 0.07 && area <= 1.0 && ratio > 0.7 && ratio < 1.4) ++fallback_free;
    const PixelBox again = random_resized_crop_box(120, 90, seed);
    ASSERT_EQ(std::make_tuple(b.top, b.left, b.height, b.width),
              std::make_tuple(again.top, again.left, again.height, again.width));
  }
  EXPECT_EQ(fallback_free, 200);
  // A 1 x 100 strip admits no crop of ratio <= 4/3 and area >= 8 px: torchvision's fallback is the
  // centre crop of the ratio-clamped image, h = 1, w = round(4/3) = 1, left = (100 - 1) // 2.
  const PixelBox strip = random_resized_crop_box(1, 100, 7);
  EXPECT_EQ(std::make_tuple(strip.top, strip.left, strip.height, strip.width), std::make_tuple(0, 49, 1, 1));
}

// ---------------------------------------------------------------------------------------------
// Folders

// root/{train,val}/<class>/..., `per_class` training images per class (val: 2), of varying sizes,
// JPEG and PNG mixed.
void write_folder(const fs::path& root, const std::vector<std::string>& classes, int per_class) {
  int seed = 0;
  for (const char* split : {"train", "val"}) {
    const int count = std::string(split) == "train" ? per_class : 2;
    for (const std::string& cls : classes) {
      fs::create_directories(root / split / cls);
      for (int i = 0; i < count; ++i, ++seed) {
        const Image image = smooth_image(36 + 3 * (seed % 5), 40 + 2 * (seed % 7), 3, seed);
        const std::string stem = (root / split / cls / ("img" + std::to_string(i))).string();
        if (i % 2) write_png(stem + ".png", image);
        else write_jpeg(stem + ".jpg", image);
      }
    }
  }
}

ImageFolder open_folder(const fs::path& root, int size, int threads, const std::string& mean = "",
                        const std::string& stdev = "") {
  ImageFolder folder = scan_image_folder(root.string());
  set_image_options(&folder, size, 0, mean, stdev, threads);
  return folder;
}

TEST(ImageFolderTest, ClassesAndFilesAreInTorchvisionOrder) {
  ScratchDir dir;
  const fs::path root = dir.path() / "set";
  for (const char* split : {"train", "val"})
    for (const char* cls : {"zebra", "ant", "Moth"}) fs::create_directories(root / split / cls);
  const Image tiny = make_image(2, 2, 1, [](int, int, int) { return 7; });
  for (const char* name : {"10.png", "2.png", "1.PNG", "b/0.png", "notes.txt"})
    for (const char* split : {"train", "val"}) {
      fs::create_directories((root / split / "ant" / name).parent_path());
      if (std::string(name) == "notes.txt") std::ofstream((root / split / "ant" / name).string()) << "ignored";
      else write_png((root / split / "ant" / name).string(), tiny);
    }
  for (const char* split : {"train", "val"}) {
    write_png((root / split / "zebra" / "z.png").string(), tiny);
    write_png((root / split / "Moth" / "m.png").string(), tiny);
  }
  const ImageFolder f = scan_image_folder(root.string());
  EXPECT_EQ(f.classes, (std::vector<std::string>{"Moth", "ant", "zebra"}));  // byte order, as Python's sorted
  // os.walk order: the class folder's own files sorted, then its sub-folders'.
  EXPECT_EQ(f.train.files, (std::vector<std::string>{"Moth/m.png", "ant/1.PNG", "ant/10.png", "ant/2.png", "ant/b/0.png",
                                                     "zebra/z.png"}));
  EXPECT_EQ(f.train.labels, (std::vector<int64_t>{0, 1, 1, 1, 1, 2}));
  EXPECT_EQ(f.val.files, f.train.files);
  EXPECT_EQ(f.channels, 1);  // every class's first image is grey
}

TEST(ImageFolderTest, BadLayoutsAreRefusedNamingTheFolder) {
  ScratchDir dir;
  const fs::path root = dir.path() / "set";
  write_folder(root, {"cat", "dog"}, 1);
  fs::create_directories(root / "val" / "emu");
  write_png((root / "val" / "emu" / "e.png").string(), smooth_image(4, 4, 3, 0));
  EXPECT_TRUE(throws_with<IoError>([&] { scan_image_folder(root.string()); },
                                   {(root / "val").string(), "\"emu\" is in val/ but not in train/", "same classes"}));
  fs::remove_all(root / "val" / "emu");
  fs::create_directories(root / "train" / "empty");
  fs::create_directories(root / "val" / "empty");
  EXPECT_TRUE(throws_with<IoError>([&] { scan_image_folder(root.string()); },
                                   {(root / "train" / "empty").string(), "no .jpg, .jpeg or .png"}));
  fs::remove_all(root / "train" / "empty");
  fs::remove_all(root / "val");
  EXPECT_TRUE(throws_with<IoError>([&] { scan_image_folder(root.string()); }, {root.string(), "no val/ folder"}));
}

TEST(ImageFolderTest, ImageOptionsAreChecked) {
  ScratchDir dir;
  write_folder(dir.path(), {"a", "b"}, 1);
  ImageFolder f = scan_image_folder(dir.path().string());
  EXPECT_EQ(f.channels, 3);
  set_image_options(&f, 0, 0, "", "", 2);
  EXPECT_EQ(f.transform.size, 224);
  EXPECT_EQ(f.transform.resize, 256);
  EXPECT_EQ(f.transform.mean, (std::vector<float>{0.485f, 0.456f, 0.406f}));
  EXPECT_TRUE(throws_with<SpecError>([&] { set_image_options(&f, 32, 0, "0.5,0.5", "", 1); },
                                     {"--mean takes 1 or 3", "got 2"}));
  EXPECT_TRUE(throws_with<SpecError>([&] { set_image_options(&f, 32, 0, "", "0", 1); }, {"--std"}));
  EXPECT_TRUE(throws_with<SpecError>([&] { set_image_options(&f, 32, 30, "", "", 1); },
                                     {"--resize 30 is smaller than --image-size 32"}));
  set_image_options(&f, 64, 0, "", "", 1);
  EXPECT_TRUE(throws_with<SpecError>([&] { check_image_input(f, {3, 32, 32}); }, {"--image-size 32"}));
  EXPECT_TRUE(throws_with<SpecError>([&] { check_image_input(f, {1, 64, 64}); }, {"1-channel", "RGB"}));
  EXPECT_NO_THROW(check_image_input(f, {3, 64, 64}));
}

// Every batch of a pass, x and y, on the CPU.
std::vector<Batch> drain(BatchStream& stream) {
  std::vector<Batch> all;
  while (std::optional<Batch> b = stream.next()) all.push_back(*b);
  return all;
}

TEST(ImageLoaderTest, BatchesDoNotDependOnTheThreadCount) {
  ScratchDir dir;
  write_folder(dir.path(), {"a", "b", "c"}, 5);
  const auto one = std::make_shared<const ImageFolder>(open_folder(dir.path(), 24, 1));
  const auto three = std::make_shared<const ImageFolder>(open_folder(dir.path(), 24, 3));
  auto source1 = image_folder_source(one, torch::kCPU), source3 = image_folder_source(three, torch::kCPU);
  EXPECT_EQ(source1->train_size(), 15);
  EXPECT_EQ(source1->test_size(), 6);
  for (int epoch = 0; epoch < 2; ++epoch) {
    const std::vector<Batch> a = drain(*source1->train_epoch(epoch, /*seed=*/5, /*batch_size=*/4, /*augment=*/true));
    const std::vector<Batch> b = drain(*source3->train_epoch(epoch, 5, 4, true));
    ASSERT_EQ(a.size(), 4u);  // 4 + 4 + 4 + 3
    ASSERT_EQ(b.size(), 4u);
    EXPECT_EQ(a.back().x.sizes().vec(), (std::vector<int64_t>{3, 3, 24, 24}));
    for (size_t k = 0; k < a.size(); ++k) {
      EXPECT_TRUE(torch::equal(a[k].x, b[k].x)) << "epoch " << epoch << " batch " << k;
      EXPECT_TRUE(torch::equal(a[k].y, b[k].y)) << "epoch " << epoch << " batch " << k;
    }
  }
  // Another epoch, another order and other crops; every sample exactly once.
  const std::vector<Batch> e0 = drain(*source3->train_epoch(0, 5, 15, true)), e1 = drain(*source3->train_epoch(1, 5, 15, true));
  EXPECT_FALSE(torch::equal(e0[0].x, e1[0].x));
  EXPECT_TRUE(torch::equal(std::get<0>(torch::sort(e0[0].y)), torch::tensor({0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2})));
}

TEST(ImageLoaderTest, EvaluationPassIsTheDirectTransformInFolderOrder) {
  ScratchDir dir;
  write_folder(dir.path(), {"a", "b"}, 1);
  const auto folder = std::make_shared<const ImageFolder>(open_folder(dir.path(), 16, 2, "0.5", "0.25"));
  const std::vector<Batch> batches = drain(*image_folder_source(folder, torch::kCPU)->test_pass(3));
  ASSERT_EQ(batches.size(), 2u);  // 4 val images: 3 + 1
  const torch::Tensor x = torch::cat({batches[0].x, batches[1].x});
  EXPECT_TRUE(torch::equal(torch::cat({batches[0].y, batches[1].y}), torch::tensor({0, 0, 1, 1})));
  for (int64_t i = 0; i < 4; ++i) {
    std::vector<float> expected(3 * 16 * 16);
    transform_image(decode_file(folder->val_path(i), 3), folder->transform, 0, expected.data());
    EXPECT_TRUE(torch::equal(x[i], torch::from_blob(expected.data(), {3, 16, 16}))) << i;
  }
}

TEST(ImageLoaderTest, ACorruptFileIsAnIoErrorNamingIt) {
  ScratchDir dir;
  write_folder(dir.path(), {"a", "b"}, 6);
  const fs::path bad = dir.path() / "train" / "b" / "img2.jpg";
  const std::string whole = test::read_bytes(bad.string());
  test::write_bytes(bad.string(), whole.substr(0, whole.size() / 3));
  const auto folder = std::make_shared<const ImageFolder>(open_folder(dir.path(), 16, 3));
  auto source = image_folder_source(folder, torch::kCPU);
  for (int64_t batch_size : {1, 5}) {
    EXPECT_TRUE(throws_with<IoError>([&] { drain(*source->train_epoch(0, 1, batch_size, true)); }, {bad.string(), "JPEG"}));
  }
  // A pass abandoned half-way stops its threads.
  auto stream = source->test_pass(1);
  ASSERT_TRUE(stream->next());
  stream.reset();
}

TEST(ImageLoaderTest, LoadDataListsAFolderOnlyWhenItIsStreamed) {
  ScratchDir dir;
  write_folder(dir.path(), {"a", "b"}, 2);
  DataOptions o;
  o.source = dir.path().string();
  EXPECT_TRUE(throws_with<SpecError>([&] { load_data(o); }, {"is an image folder", "only nnmass train"}));
  o.stream_images = true;
  o.image_size = 20;
  o.limit_train = 3;
  const DataSplit split = load_data(o);
  ASSERT_TRUE(split.image_folder);
  EXPECT_EQ(split.classes, 2);
  EXPECT_EQ(split.shape, (std::vector<int64_t>{3, 20, 20}));
  EXPECT_EQ(split.image_folder->train.size(), 3);
  EXPECT_EQ(split.image_folder->transform.resize, 22);  // 20 * 256 / 224 = 22.86, truncated
  EXPECT_EQ(split.train.size(), 0);
  DataOptions synthetic;
  synthetic.source = "circle";
  synthetic.resize = 30;
  EXPECT_TRUE(throws_with<SpecError>([&] { load_data(synthetic); }, {"--resize applies to image folders", "circle"}));
}

TEST(ImageLoaderTest, TrainRunsOnATinyFolder) {
  ScratchDir dir;
  write_folder(dir.path(), {"a", "b", "c"}, 4);
  DataOptions o;
  o.source = dir.path().string();
  o.stream_images = true;
  o.image_size = 32;
  o.loader_threads = 2;
  const DataSplit data = load_data(o);
  Spec spec;
  spec.family = Family::kResNet;
  spec.input = {3, 32, 32};
  spec.classes = 3;
  spec.resnet.layers = {1, 1};
  spec.resnet.planes = {8, 16};
  spec.resnet.stem = Stem::kCifar;
  spec.resnet.stem_width = 8;
  const Network net = test::build_seeded(spec, 1);
  TrainOptions opt;
  opt.epochs = 1;
  opt.batch_size = 5;
  opt.augment = true;
  const TrainResult r = train(*net, data, opt, nlohmann::json::object(), nullptr);
  ASSERT_EQ(r.history.size(), 1u);
  EXPECT_TRUE(std::isfinite(r.history[0].train_loss));
  EXPECT_GE(r.test.accuracy, 0.0);
  EXPECT_LE(r.test.accuracy, 1.0);
  EXPECT_EQ(r.history[0].test_acc, r.test.accuracy);
}

TEST(ImageLoaderTest, FashionMnistPngsGiveTheIdxPixelsExactly) {
  const DataSplit* fmnist = test::fashion_mnist();
  if (!fmnist) GTEST_SKIP() << "Fashion-MNIST is not installed (dataset-fashion-mnist)";
  ScratchDir dir;
  constexpr int64_t kCount = 12;
  const torch::Tensor images = fmnist->train.inputs.narrow(0, 0, kCount).contiguous();  // uint8 [N, 1, 28, 28]
  for (const char* split : {"train", "val"}) {
    fs::create_directories(dir.path() / split / "all");
    for (int64_t i = 0; i < kCount; ++i) {
      const uint8_t* p = images[i].data_ptr<uint8_t>();
      const std::string path = (dir.path() / split / "all" / (std::to_string(100 + i) + ".png")).string();
      write_png(path, 28, 28, PNG_FORMAT_GRAY, std::vector<uint8_t>(p, p + 28 * 28));
      ASSERT_EQ(decode_file(path, 1).pixels, std::vector<uint8_t>(p, p + 28 * 28)) << i;
    }
  }
  // Size 28, resize 28, no augmentation, mean 0 / std 1 (the grey default): x = p / 255 exactly
  // as the IDX path's Dataset::to_input.
  ImageFolder folder = scan_image_folder(dir.path().string());
  set_image_options(&folder, /*size=*/28, /*resize=*/28, "", "", /*loader_threads=*/2);
  EXPECT_EQ(folder.channels, 1);
  const auto shared = std::make_shared<const ImageFolder>(std::move(folder));
  const std::vector<Batch> batches = drain(*image_folder_source(shared, torch::kCPU)->test_pass(kCount));
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_TRUE(torch::equal(batches[0].x, fmnist->train.to_input(images)));
}

// ---------------------------------------------------------------------------------------------
// The command line

struct CliResult {
  int code = -1;
  std::string out, err;
};

CliResult run_nnmass(const ScratchDir& dir, const std::string& args) {
  const std::string out = dir.file("stdout.txt"), err = dir.file("stderr.txt");
  const int status = std::system((std::string(NNMASS_BIN) + " " + args + " >" + out + " 2>" + err).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, test::read_bytes(out), test::read_bytes(err)};
}

void expect_one_line_error(const ScratchDir& dir, const std::string& args, const std::string& needle) {
  const CliResult r = run_nnmass(dir, args);
  EXPECT_EQ(r.code, 2) << args;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "expected \"" << needle << "\" in " << r.err;
}

TEST(ImageFolderCliTest, RefusalsAreOneLine) {
  ScratchDir dir;
  const fs::path root = dir.path() / "imgs";
  write_folder(root, {"a", "b"}, 1);
  const std::string data = " --data " + root.string();
  // The example's input is 3 x 32 x 32; the folder gives 224 x 224 unless told.
  expect_one_line_error(dir, "train --example cifar_cnn --epochs 1" + data, "use --image-size 32");
  expect_one_line_error(dir, "train --example cifar_cnn --epochs 1 --image-size 32 --mean 1,2" + data, "--mean takes 1 or 3");
  expect_one_line_error(dir, "sweep --family cnn --depth 4 --width 8 --tc 2 --db " + dir.file("s.db") + data,
                        "only nnmass train streams image folders");
  expect_one_line_error(dir, "train --family mlp --width 8 --depth 4 --tc 0 --limit-train 10 --image-size 32",
                        "--image-size applies to image folders");
  fs::create_directories(root / "val" / "zz");
  expect_one_line_error(dir, "train --example cifar_cnn --epochs 1" + data, "\"zz\" is in val/ but not in train/");
}

}  // namespace
}  // namespace nnmass
