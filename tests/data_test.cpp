// Tests of the data layer (data/): the IDX reader on files written here (valid, gzip, and every
// way a file can be damaged, including headers that promise more data than exist) and on images in
// memory, load_data on MNIST-format and CIFAR folders made here (train and test labels must agree
// on the class count), the CIFAR normalisation by hand, crop/flip augmentation by brute force, the
// synthetic linear / circle sets against method spec §4.1, and the installed Fashion-MNIST.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <torch/torch.h>

#include "data_test_support.h"
#include "nnmass/data/cifar.h"
#include "nnmass/data/dataset.h"
#include "nnmass/data/idx.h"
#include "nnmass/data/idx_format.h"
#include "nnmass/data/synthetic.h"
#include "nnmass/error.h"

namespace nnmass {
namespace {

using test::idx_bytes;
using test::ScratchDir;
using test::tensor_bytes;
using test::throws_with;
using test::write_bytes;
using test::write_gzip;

// ---------------------------------------------------------------------------------------------
// IDX files

// The six data bytes 1..6 as a valid 2 x 3 IDX file, built by hand (independent of write_idx).
const std::string kSixBytes = {1, 2, 3, 4, 5, 6};

TEST(IdxTest, WriteIdxWritesTheMnistLayoutAndReadsBack) {
  ScratchDir dir;
  const std::string file = dir.file("a.idx");
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(3);
  const torch::Tensor data = torch::randint(0, 256, {3, 4, 5}, g, torch::kUInt8);
  write_idx(file, data);
  // On disk: magic 00 00 08 03, sizes 3, 4, 5 as big-endian uint32, then the 60 bytes row-major.
  EXPECT_EQ(test::read_bytes(file), idx_bytes(0x08, {3, 4, 5}, tensor_bytes(data)));
  const torch::Tensor back = read_idx(file);
  EXPECT_EQ(back.scalar_type(), torch::kUInt8);
  EXPECT_EQ(back.sizes().vec(), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_TRUE(torch::equal(back, data));
}

TEST(IdxTest, ReadsOneToFourDimensionsAndSizesAbove255) {
  ScratchDir dir;
  // A size of 258 = 0x0102 checks that more than the low byte of each big-endian size is read.
  for (const std::vector<int64_t>& shape :
       {std::vector<int64_t>{258}, std::vector<int64_t>{2, 258}, std::vector<int64_t>{1, 2, 3, 4}}) {
    const std::string file = dir.file("s" + std::to_string(shape.size()));
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    const torch::Tensor data = torch::arange(numel, torch::kInt64)
                                   .remainder(256).to(torch::kUInt8).view(shape);
    write_idx(file, data);
    const torch::Tensor back = read_idx(file);
    EXPECT_EQ(back.sizes().vec(), shape);
    EXPECT_TRUE(torch::equal(back, data));
  }
}

TEST(IdxTest, ReadsAHandMadeFile) {
  ScratchDir dir;
  const std::string file = dir.file("hand.idx");
  write_bytes(file, idx_bytes(0x08, {2, 3}, kSixBytes));
  const torch::Tensor t = read_idx(file);
  EXPECT_EQ(t.sizes().vec(), (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(torch::equal(t, torch::tensor({1, 2, 3, 4, 5, 6}, torch::kUInt8).view({2, 3})));
}

TEST(IdxTest, GzipFileReadsTheSameAsThePlainOne) {
  ScratchDir dir;
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(4);
  const torch::Tensor data = torch::randint(0, 256, {7, 9, 9}, g, torch::kUInt8);
  write_idx(dir.file("plain"), data);
  write_gzip(dir.file("packed.gz"), test::read_bytes(dir.file("plain")));
  // Make sure the file really is compressed (gzip magic 1f 8b), not a plain copy.
  const std::string packed = test::read_bytes(dir.file("packed.gz"));
  ASSERT_GE(packed.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(packed[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(packed[1]), 0x8b);
  const torch::Tensor back = read_idx(dir.file("packed.gz"));
  EXPECT_EQ(back.sizes().vec(), (std::vector<int64_t>{7, 9, 9}));
  EXPECT_TRUE(torch::equal(back, data));
}

TEST(IdxTest, TruncatedDataIsAnIoErrorSayingTruncated) {
  ScratchDir dir;
  const std::string file = dir.file("short.idx");
  write_bytes(file, idx_bytes(0x08, {2, 3}, kSixBytes.substr(0, 5)));  // 5 of the 6 bytes
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx(file); }, {file, "truncated"}));
}

TEST(IdxTest, TruncatedHeaderIsAnIoError) {
  ScratchDir dir;
  const std::string file = dir.file("header.idx");
  write_bytes(file, idx_bytes(0x08, {2, 3}, "").substr(0, 10));  // second size cut after 2 bytes
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx(file); }, {file, "truncated"}));
}

TEST(IdxTest, WrongMagicIsAnIoError) {
  ScratchDir dir;
  const std::string file = dir.file("magic.idx");
  std::string bytes = idx_bytes(0x08, {2, 3}, kSixBytes);
  bytes[0] = '\x89';  // e.g. a PNG file (89 50 4e 47)
  bytes[1] = 'P';
  write_bytes(file, bytes);
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx(file); }, {file}));
}

TEST(IdxTest, NonByteDataTypeIsAnIoError) {
  ScratchDir dir;
  const std::string file = dir.file("type.idx");
  // 0x0B = signed 16-bit integers: a valid IDX type, but not one the reader handles. The same
  // six bytes would be three int16 values, so reading it as bytes would be silently wrong.
  write_bytes(file, idx_bytes(0x0B, {3}, kSixBytes));
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx(file); }, {file}));
}

TEST(IdxTest, NonByteDataTypeMessageShowsTheTypeInHex) {
  ScratchDir dir;
  const std::string file = dir.file("type.idx");
  write_bytes(file, idx_bytes(0x0B, {3}, kSixBytes));
  // The message prints the type after "0x", so it must be the hexadecimal value: 0x0b (or 0xb),
  // not the decimal 11 behind a "0x" prefix ("0x11" would name another type).
  try {
    read_idx(file);
    FAIL() << "no error";
  } catch (const IoError& e) {
    std::string what = e.what();
    std::transform(what.begin(), what.end(), what.begin(), [](unsigned char c) { return std::tolower(c); });
    EXPECT_TRUE(what.find("0x0b") != std::string::npos || what.find("0xb ") != std::string::npos)
        << e.what();
  }
}

TEST(IdxTest, ZeroDimensionsOrAZeroSizeIsAnIoError) {
  ScratchDir dir;
  const std::string no_dims = dir.file("nodims.idx");
  write_bytes(no_dims, idx_bytes(0x08, {}, kSixBytes));
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx(no_dims); }, {no_dims}));
  const std::string zero = dir.file("zero.idx");
  write_bytes(zero, idx_bytes(0x08, {2, 0}, ""));
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx(zero); }, {zero}));
}

TEST(IdxTest, TrailingBytesAreAnIoError) {
  ScratchDir dir;
  const std::string file = dir.file("long.idx");
  write_bytes(file, idx_bytes(0x08, {2, 3}, kSixBytes + "x"));
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx(file); }, {file}));
}

TEST(IdxTest, EmptyAndMissingFilesAreIoErrors) {
  ScratchDir dir;
  const std::string empty = dir.file("empty.idx");
  write_bytes(empty, "");
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx(empty); }, {empty}));
  const std::string missing = dir.file("missing.idx");
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx(missing); }, {missing}));
}

TEST(IdxTest, GzipStreamCutInTheDataIsAnIoError) {
  ScratchDir dir;
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(5);
  // Random bytes do not compress, so cutting the .gz file in half cuts the data in half.
  const torch::Tensor data = torch::randint(0, 256, {64, 64}, g, torch::kUInt8);
  write_idx(dir.file("plain"), data);
  write_gzip(dir.file("full.gz"), test::read_bytes(dir.file("plain")));
  const std::string packed = test::read_bytes(dir.file("full.gz"));
  const std::string cut = dir.file("cut.gz");
  write_bytes(cut, packed.substr(0, packed.size() / 2));
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx(cut); }, {cut, "truncated"}));
}

TEST(IdxTest, GzipStreamWithoutItsTrailerIsAnIoError) {
  ScratchDir dir;
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(6);
  const torch::Tensor data = torch::randint(0, 256, {16, 16}, g, torch::kUInt8);
  write_idx(dir.file("plain"), data);
  write_gzip(dir.file("full.gz"), test::read_bytes(dir.file("plain")));
  const std::string packed = test::read_bytes(dir.file("full.gz"));
  // A gzip member ends with CRC-32 and length (8 bytes). Cutting 4 of them leaves every data byte
  // decodable but the stream truncated and its integrity unchecked: still a damaged file (a
  // partial download), which gzip -t reports as "unexpected end of file".
  const std::string cut = dir.file("notrailer.gz");
  write_bytes(cut, packed.substr(0, packed.size() - 4));
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx(cut); }, {cut}));
}

TEST(IdxTest, GzipStreamWithABadChecksumIsAnIoError) {
  ScratchDir dir;
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(7);
  const torch::Tensor data = torch::randint(0, 256, {16, 16}, g, torch::kUInt8);
  write_idx(dir.file("plain"), data);
  write_gzip(dir.file("full.gz"), test::read_bytes(dir.file("plain")));
  std::string packed = test::read_bytes(dir.file("full.gz"));
  packed[packed.size() - 8] ^= 0x5a;  // first byte of the CRC-32: the data no longer match it
  const std::string bad = dir.file("badcrc.gz");
  write_bytes(bad, packed);
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx(bad); }, {bad}));
}

// A header promising 2 x 2^32-1 bytes (8 GiB) in front of six bytes of data.
const std::string kLyingHeader = idx_bytes(0x08, {2, 0xffffffffu}, kSixBytes);

TEST(IdxTest, PlainHeaderIsCheckedAgainstTheFileSizeBeforeAllocating) {
  ScratchDir dir;
  const std::string file = dir.file("lying.idx");
  write_bytes(file, kLyingHeader);
  // Fails at once, from the file size: allocating the promised 8 GiB first would take seconds
  // (or fail) before the truncation showed.
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx_file(file); },
                                   {file + ": the header promises 8589934590 bytes of data but the file holds 6; "
                                    "the file is truncated"}));
  // One byte too many is the same check from the other side.
  write_bytes(file, idx_bytes(0x08, {2, 3}, kSixBytes + "xy"));
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx_file(file); },
                                   {file + ": the header promises 6 bytes of data but the file holds 8"}));
}

TEST(IdxTest, SizesWhoseProductOverflowsAreAnImplausibleHeader) {
  // Found by fuzz_idx: 4 sizes 0x28c80001 x 2 x 2 x 0xffffffff multiply past 2^63 (signed
  // overflow, undefined) before the 2^34 limit was checked. Kept in fuzz/corpus/idx.
  ScratchDir dir;
  const std::string file = dir.file("overflow.idx");
  write_bytes(file, idx_bytes(0x08, {0x28c80001u, 2, 2, 0xffffffffu}, "\x0b Uz\x9f\xc4\xe9J"));
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx_file(file); }, {file + ": implausibly large IDX header"}));
  EXPECT_TRUE(throws_with<IoError>([&] { idx_header(file); }, {file + ": implausibly large IDX header"}));
  // The largest sizes in every position.
  write_bytes(file, idx_bytes(0x08, {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, ""));
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx_file(file); }, {file + ": implausibly large IDX header"}));
}

TEST(IdxTest, GzipHeaderPromisingMoreThanTheStreamHoldsIsTruncated) {
  ScratchDir dir;
  const std::string file = dir.file("lying.gz");
  write_gzip(file, kLyingHeader);
  // The stream is read in growing chunks, so the lie costs a small buffer, not 8 GiB.
  EXPECT_TRUE(throws_with<IoError>([&] { read_idx_file(file); },
                                   {file + ": truncated: the header promises 8589934590 bytes of data but the "
                                    "stream holds 6"}));
}

TEST(IdxTest, IdxHeaderReadsTheShapeOnly) {
  ScratchDir dir;
  // The data are missing, the header alone is valid: idx_header does not look further.
  write_bytes(dir.file("plain"), kLyingHeader);
  write_gzip(dir.file("packed.gz"), kLyingHeader);
  EXPECT_EQ(idx_header(dir.file("plain")), (std::vector<int64_t>{2, 0xffffffffLL}));
  EXPECT_EQ(idx_header(dir.file("packed.gz")), (std::vector<int64_t>{2, 0xffffffffLL}));
  write_bytes(dir.file("bad"), idx_bytes(0x0B, {3}, kSixBytes));
  EXPECT_TRUE(throws_with<IoError>([&] { idx_header(dir.file("bad")); }, {dir.file("bad"), "0x0b"}));
  EXPECT_TRUE(throws_with<IoError>([&] { idx_header(dir.file("missing")); }, {dir.file("missing")}));
}

TEST(IdxTest, ParseIdxFromMemoryPlainAndGzip) {
  ScratchDir dir;
  const std::string plain = idx_bytes(0x08, {2, 3}, kSixBytes);
  const auto bytes = [](const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); };
  const IdxData a = parse_idx(bytes(plain), plain.size(), "memory");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.bytes, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
  // gzip in memory, also as two concatenated members (as gzread reads them), with trailing
  // non-gzip bytes ignored (as gzread ignores them).
  write_gzip(dir.file("first.gz"), plain.substr(0, 7));
  write_gzip(dir.file("second.gz"), plain.substr(7));
  const std::string two = test::read_bytes(dir.file("first.gz")) + test::read_bytes(dir.file("second.gz"));
  for (const std::string& packed : {two, two + "junk"}) {
    const IdxData b = parse_idx(bytes(packed), packed.size(), "memory.gz");
    EXPECT_EQ(b.shape, a.shape);
    EXPECT_EQ(b.bytes, a.bytes);
  }
  write_bytes(dir.file("two.gz"), two);
  EXPECT_EQ(read_idx_file(dir.file("two.gz")).bytes, a.bytes);
  // Errors name the source given.
  const std::string cut = two.substr(0, two.size() - 3);
  EXPECT_TRUE(throws_with<IoError>([&] { parse_idx(bytes(cut), cut.size(), "memory.gz"); },
                                   {"memory.gz: corrupt or truncated compressed data"}));
  EXPECT_TRUE(throws_with<IoError>([&] { parse_idx(bytes(kLyingHeader), kLyingHeader.size(), "mem"); },
                                   {"mem: the header promises 8589934590 bytes of data but the file holds 6"}));
  EXPECT_TRUE(throws_with<IoError>([&] { parse_idx(nullptr, 0, "nothing"); }, {"nothing: empty file"}));
}

TEST(IdxTest, IdxFileBytesIsTheMnistLayout) {
  const auto* six = reinterpret_cast<const uint8_t*>(kSixBytes.data());
  EXPECT_EQ(idx_file_bytes({2, 3}, six, 6), idx_bytes(0x08, {2, 3}, kSixBytes));
  EXPECT_EQ(idx_file_bytes({6}, six, 6), idx_bytes(0x08, {6}, kSixBytes));
  EXPECT_THROW(idx_file_bytes({2, 2}, six, 6), SpecError);
  EXPECT_THROW(idx_file_bytes({}, six, 0), SpecError);
  EXPECT_THROW(idx_file_bytes({1, 1, 1, 1, 6}, six, 6), SpecError);
}

// ---------------------------------------------------------------------------------------------
// load_data on MNIST-format folders

TEST(LoadDataTest, MnistFolderGivesScaledImagesAndLabels) {
  ScratchDir dir;
  // Labels i % 7 (0..6): classes must come out as 7 = max label + 1.
  const test::MnistFiles f = test::write_mnist_folder(dir.path(), 20, 10, 4, 5, 7);
  DataOptions o;
  o.source = dir.path().string();
  const DataSplit d = load_data(o);
  EXPECT_EQ(d.classes, 7);
  EXPECT_EQ(d.shape, (std::vector<int64_t>{1, 4, 5}));
  EXPECT_FALSE(d.augment_crop_flip);
  ASSERT_EQ(d.train.inputs.sizes().vec(), (std::vector<int64_t>{20, 1, 4, 5}));
  ASSERT_EQ(d.test.inputs.sizes().vec(), (std::vector<int64_t>{10, 1, 4, 5}));
  EXPECT_EQ(d.train.inputs.scalar_type(), torch::kUInt8);  // pixels, held once
  const torch::Tensor train_x = d.train.to_input(d.train.inputs), test_x = d.test.to_input(d.test.inputs);
  EXPECT_EQ(train_x.scalar_type(), torch::kFloat32);
  EXPECT_EQ(d.train.labels.scalar_type(), torch::kInt64);
  EXPECT_EQ(d.train.size(), 20);
  EXPECT_EQ(d.test.size(), 10);
  // ToTensor() of the official code: x / 255, no normalisation. float(x) / 255 is one correctly
  // rounded float division, so the comparison is exact.
  const torch::Tensor want_train = f.train_images.unsqueeze(1).to(torch::kFloat32) / 255.0f;
  const torch::Tensor want_test = f.test_images.unsqueeze(1).to(torch::kFloat32) / 255.0f;
  EXPECT_TRUE(torch::equal(train_x, want_train));
  EXPECT_TRUE(torch::equal(test_x, want_test));
  EXPECT_GE(train_x.min().item<float>(), 0.0f);
  EXPECT_LE(train_x.max().item<float>(), 1.0f);
  // One pixel by hand.
  const int v = f.train_images[3][2][1].item<int>();
  EXPECT_EQ(train_x[3][0][2][1].item<float>(), static_cast<float>(v) / 255.0f);
  EXPECT_TRUE(torch::equal(d.train.labels, f.train_labels.to(torch::kInt64)));
  EXPECT_TRUE(torch::equal(d.test.labels, f.test_labels.to(torch::kInt64)));
}

TEST(LoadDataTest, GzipMnistFolderLoadsTheSame) {
  ScratchDir plain, packed;
  test::write_mnist_folder(plain.path(), 20, 10, 4, 4, 10);
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                           "t10k-labels-idx1-ubyte"})
    write_gzip(packed.file(std::string(name) + ".gz"), test::read_bytes(plain.file(name)));
  DataOptions a, b;
  a.source = plain.path().string();
  b.source = packed.path().string();
  const DataSplit x = load_data(a), y = load_data(b);
  EXPECT_TRUE(torch::equal(x.train.inputs, y.train.inputs));
  EXPECT_TRUE(torch::equal(x.train.labels, y.train.labels));
  EXPECT_TRUE(torch::equal(x.test.inputs, y.test.inputs));
  EXPECT_TRUE(torch::equal(x.test.labels, y.test.labels));
  EXPECT_EQ(x.classes, y.classes);
}

TEST(LoadDataTest, TestLabelBeyondTheTrainingClassesIsAnIoError) {
  ScratchDir dir;
  test::write_mnist_folder(dir.path(), 20, 10, 4, 4, 3);  // training labels 0..2: 3 classes
  // A test label above every training label: the classes the model is built with (3) could not
  // represent it. The error names the test file, the label and the allowed range.
  torch::Tensor labels = torch::arange(10, torch::kInt64).remainder(3).to(torch::kUInt8);
  labels[4] = 8;
  write_idx(dir.file("t10k-labels-idx1-ubyte"), labels);
  DataOptions o;
  o.source = dir.path().string();
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); },
                                   {dir.file("t10k-labels-idx1-ubyte") + ": label 8 is out of range 0..2 (3 classes, "
                                    "set by the training labels in " + dir.file("train-labels-idx1-ubyte") +
                                    "); the train and test label files must agree on the class count"}));
  // The same when only the test split is wanted (the training labels are still read).
  o.need_train = false;
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); }, {dir.file("t10k-labels-idx1-ubyte"), "label 8"}));
}

TEST(LoadDataTest, TrainAndTestLabelFilesMustAgreeOnTheClassCount) {
  ScratchDir dir;
  test::write_mnist_folder(dir.path(), 20, 10, 4, 4, 10);  // training labels 0..9
  write_idx(dir.file("t10k-labels-idx1-ubyte"), torch::arange(10, torch::kInt64).remainder(6).to(torch::kUInt8));
  DataOptions o;
  o.source = dir.path().string();
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); },
                                   {dir.file("t10k-labels-idx1-ubyte") +
                                        ": labels span 0..5 but 10 classes are declared",
                                    "must agree on the class count"}));
  // A corrupt training label (200) declares 201 classes: the test file no longer agrees.
  test::write_mnist_folder(dir.path(), 20, 10, 4, 4, 10);
  torch::Tensor train = torch::arange(20, torch::kInt64).remainder(10).to(torch::kUInt8);
  train[7] = 200;
  write_idx(dir.file("train-labels-idx1-ubyte"), train);
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); }, {"labels span 0..9 but 201 classes are declared"}));
}

TEST(LoadDataTest, ClassesWithOnlyTheTestSplitComeFromTheTrainingLabels) {
  ScratchDir dir;
  test::write_mnist_folder(dir.path(), 20, 10, 4, 4, 7);
  DataOptions o;
  o.source = dir.path().string();
  o.need_train = false;
  const DataSplit d = load_data(o);
  EXPECT_EQ(d.classes, 7);
  EXPECT_EQ(d.train.size(), 0);
  EXPECT_EQ(d.test.size(), 10);
}

TEST(LoadDataTest, LabelFileOfTheWrongRankIsAnIoErrorNamingIt) {
  ScratchDir dir;
  test::write_mnist_folder(dir.path(), 20, 10, 4, 4, 10);
  write_idx(dir.file("t10k-labels-idx1-ubyte"), torch::zeros({10, 1}, torch::kUInt8));
  DataOptions o;
  o.source = dir.path().string();
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); },
                                   {dir.file("t10k-labels-idx1-ubyte") + ": expected labels [N], got 2 dimensions"}));
}

TEST(LoadDataTest, LimitsKeepTheFirstSamples) {
  ScratchDir dir;
  test::write_mnist_folder(dir.path(), 20, 10, 4, 4, 10);
  DataOptions o;
  o.source = dir.path().string();
  const DataSplit all = load_data(o);
  o.limit_train = 7;
  o.limit_test = 3;
  const DataSplit some = load_data(o);
  ASSERT_EQ(some.train.size(), 7);
  ASSERT_EQ(some.test.size(), 3);
  EXPECT_TRUE(torch::equal(some.train.inputs, all.train.inputs.narrow(0, 0, 7)));
  EXPECT_TRUE(torch::equal(some.train.labels, all.train.labels.narrow(0, 0, 7)));
  EXPECT_TRUE(torch::equal(some.test.inputs, all.test.inputs.narrow(0, 0, 3)));
  EXPECT_TRUE(torch::equal(some.test.labels, all.test.labels.narrow(0, 0, 3)));
  // A limit above the size keeps everything; a negative one is a mistake.
  o.limit_train = 1000;
  o.limit_test = 0;
  const DataSplit big = load_data(o);
  EXPECT_EQ(big.train.size(), 20);
  EXPECT_EQ(big.test.size(), 10);
  o.limit_train = -1;
  EXPECT_THROW(load_data(o), SpecError);
}

TEST(LoadDataTest, ImageAndLabelCountMismatchIsAnIoError) {
  ScratchDir dir;
  test::write_mnist_folder(dir.path(), 20, 10, 4, 4, 10);
  write_idx(dir.file("train-labels-idx1-ubyte"), torch::zeros({19}, torch::kUInt8));
  DataOptions o;
  o.source = dir.path().string();
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); }, {dir.file("train-images-idx3-ubyte")}));
}

TEST(LoadDataTest, ImagesOfTheWrongRankAreAnIoError) {
  ScratchDir dir;
  test::write_mnist_folder(dir.path(), 20, 10, 4, 4, 10);
  // Labels stored as images and images as a flat vector: the dimensions check must catch both.
  write_idx(dir.file("t10k-images-idx3-ubyte"), torch::zeros({160}, torch::kUInt8));
  DataOptions o;
  o.source = dir.path().string();
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); }, {dir.file("t10k-images-idx3-ubyte")}));
}

TEST(LoadDataTest, TrainAndTestImageSizesMustAgree) {
  ScratchDir dir;
  test::write_mnist_folder(dir.path(), 20, 10, 4, 4, 10);
  write_idx(dir.file("t10k-images-idx3-ubyte"), torch::zeros({10, 5, 4}, torch::kUInt8));
  DataOptions o;
  o.source = dir.path().string();
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); }, {dir.path().string()}));
}

TEST(LoadDataTest, MissingLabelFileIsAnIoError) {
  ScratchDir dir;
  test::write_mnist_folder(dir.path(), 20, 10, 4, 4, 10);
  test::fs::remove(dir.path() / "t10k-labels-idx1-ubyte");
  DataOptions o;
  o.source = dir.path().string();
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); }, {dir.path().string(), "t10k-labels-idx1-ubyte"}));
}

TEST(LoadDataTest, DamagedFileInAFolderIsAnIoErrorNamingIt) {
  ScratchDir dir;
  test::write_mnist_folder(dir.path(), 20, 10, 4, 4, 10);
  const std::string file = dir.file("train-images-idx3-ubyte");
  const std::string bytes = test::read_bytes(file);
  write_bytes(file, bytes.substr(0, bytes.size() - 1));
  DataOptions o;
  o.source = dir.path().string();
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); }, {file, "truncated"}));
}

TEST(LoadDataTest, EmptyFolderSaysNoDataSetFound) {
  ScratchDir dir;
  DataOptions o;
  o.source = dir.path().string();
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); }, {dir.path().string(), "no data set found"}));
}

TEST(LoadDataTest, NonexistentFolderIsAnIoError) {
  ScratchDir dir;
  DataOptions o;
  o.source = dir.file("does-not-exist");
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); }, {o.source}));
}

// ---------------------------------------------------------------------------------------------
// CIFAR binary files

// A deterministic record: pixel (c, y, x) of record `id` is (id * 7 + c * 31 + y * 5 + x * 3) % 256.
int cifar_pixel(int id, int c, int y, int x) { return (id * 7 + c * 31 + y * 5 + x * 3) % 256; }

std::string cifar_record(int id, const std::vector<int>& label_bytes) {
  std::string r;
  for (int b : label_bytes) r.push_back(static_cast<char>(b));
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) r.push_back(static_cast<char>(cifar_pixel(id, c, y, x)));
  return r;
}

// CIFAR-10 folder: data_batch_k holds records 2(k-1) and 2(k-1)+1 with labels id % 10; the test
// batch holds records 100..102.
void write_cifar10(const ScratchDir& dir) {
  for (int k = 1; k <= 5; ++k) {
    std::string bytes;
    for (int id = 2 * (k - 1); id < 2 * k; ++id) bytes += cifar_record(id, {id % 10});
    write_bytes(dir.file("data_batch_" + std::to_string(k) + ".bin"), bytes);
  }
  write_bytes(dir.file("test_batch.bin"),
              cifar_record(100, {0}) + cifar_record(101, {1}) + cifar_record(102, {9}));
}

// (v / 255 - mean) / std, computed here in double with the constants of spec §4.2.
double cifar10_norm(int v, int c) {
  const double mean[3] = {0.4914, 0.4822, 0.4465}, stdev[3] = {0.2023, 0.1994, 0.2010};
  return (v / 255.0 - mean[c]) / stdev[c];
}
double cifar100_norm(int v, int c) {
  const double mean[3] = {0.5071, 0.4866, 0.4409}, stdev[3] = {0.2009, 0.1984, 0.2023};
  return (v / 255.0 - mean[c]) / stdev[c];
}

TEST(CifarTest, Cifar10FolderIsDetectedAndNormalised) {
  ScratchDir dir;
  write_cifar10(dir);
  DataOptions o;
  o.source = dir.path().string();
  const DataSplit d = load_data(o);
  EXPECT_EQ(d.name, "cifar10");
  EXPECT_EQ(d.classes, 10);
  EXPECT_EQ(d.shape, (std::vector<int64_t>{3, 32, 32}));
  EXPECT_TRUE(d.augment_crop_flip);
  ASSERT_EQ(d.train.inputs.sizes().vec(), (std::vector<int64_t>{10, 3, 32, 32}));
  ASSERT_EQ(d.test.inputs.sizes().vec(), (std::vector<int64_t>{3, 3, 32, 32}));
  EXPECT_EQ(d.train.inputs.scalar_type(), torch::kUInt8);  // pixels, normalised per batch
  const torch::Tensor train_x = d.train.to_input(d.train.inputs), test_x = d.test.to_input(d.test.inputs);
  // Labels in file order: batches 1..5, records in order.
  EXPECT_TRUE(torch::equal(d.train.labels, torch::arange(10, torch::kInt64)));
  EXPECT_TRUE(torch::equal(d.test.labels, torch::tensor({0, 1, 9}, torch::kInt64)));
  // Pixels by hand, channel-major layout (c, y, x). The library computes in float32: values are
  // at most |(0 - 0.49) / 0.2| ~ 2.5 and |(1 - 0.45) / 0.2| ~ 2.8, so 1e-5 is ~40 float ulps.
  for (const auto& [n, c, y, x] : std::vector<std::tuple<int, int, int, int>>{
           {0, 0, 0, 0}, {3, 1, 17, 5}, {7, 2, 31, 30}, {9, 0, 12, 31}}) {
    EXPECT_NEAR(train_x[n][c][y][x].item<float>(), cifar10_norm(cifar_pixel(n, c, y, x), c), 1e-5)
        << "train " << n << " " << c << " " << y << " " << x;
  }
  EXPECT_NEAR(test_x[2][1][4][9].item<float>(), cifar10_norm(cifar_pixel(102, 1, 4, 9), 1), 1e-5);
  // The whole tensor against a double computation.
  torch::Tensor raw = torch::empty({10, 3, 32, 32}, torch::kFloat64);
  auto a = raw.accessor<double, 4>();
  for (int n = 0; n < 10; ++n)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) a[n][c][y][x] = cifar10_norm(cifar_pixel(n, c, y, x), c);
  EXPECT_LT((train_x.to(torch::kFloat64) - raw).abs().max().item<double>(), 1e-5);
}

TEST(CifarTest, Cifar100UsesTheFineLabel) {
  ScratchDir dir;
  // (coarse, fine) pairs chosen so that coarse != fine: reading the coarse byte would show.
  write_bytes(dir.file("train.bin"), cifar_record(0, {3, 77}) + cifar_record(1, {19, 0}) + cifar_record(2, {0, 99}));
  write_bytes(dir.file("test.bin"), cifar_record(3, {5, 42}));
  DataOptions o;
  o.source = dir.path().string();
  const DataSplit d = load_data(o);
  EXPECT_EQ(d.name, "cifar100");
  EXPECT_EQ(d.classes, 100);
  EXPECT_EQ(d.shape, (std::vector<int64_t>{3, 32, 32}));
  ASSERT_EQ(d.train.size(), 3);
  ASSERT_EQ(d.test.size(), 1);
  EXPECT_TRUE(torch::equal(d.train.labels, torch::tensor({77, 0, 99}, torch::kInt64)));
  EXPECT_EQ(d.test.labels[0].item<int64_t>(), 42);
  // The pixels start after the two label bytes, normalised with the CIFAR-100 constants.
  EXPECT_NEAR(d.train.input_slice(1, 1)[0][2][10][20].item<float>(), cifar100_norm(cifar_pixel(1, 2, 10, 20), 2), 1e-5);
  EXPECT_NEAR(d.test.input_slice(0, 1)[0][0][0][0].item<float>(), cifar100_norm(cifar_pixel(3, 0, 0, 0), 0), 1e-5);
}

TEST(CifarTest, ReadCifarKeepsRawBytes) {
  ScratchDir dir;
  write_bytes(dir.file("a.bin"), cifar_record(5, {4}) + cifar_record(6, {8}));
  const CifarRecords r = read_cifar({dir.file("a.bin")}, CifarKind::kCifar10);
  ASSERT_EQ(r.images.sizes().vec(), (std::vector<int64_t>{2, 3, 32, 32}));
  EXPECT_EQ(r.images.scalar_type(), torch::kUInt8);
  EXPECT_EQ(r.images[1][2][31][0].item<int>(), cifar_pixel(6, 2, 31, 0));
  EXPECT_EQ(r.images[0][0][1][2].item<int>(), cifar_pixel(5, 0, 1, 2));
  EXPECT_TRUE(torch::equal(r.labels, torch::tensor({4, 8}, torch::kInt64)));
}

TEST(CifarTest, PartialRecordIsAnIoError) {
  ScratchDir dir;
  write_cifar10(dir);
  const std::string file = dir.file("data_batch_3.bin");
  write_bytes(file, cifar_record(4, {4}) + cifar_record(5, {5}).substr(0, 100));
  DataOptions o;
  o.source = dir.path().string();
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); }, {file}));
  // An empty batch file is no data set either.
  write_bytes(file, "");
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); }, {file}));
}

TEST(CifarTest, LabelOutOfRangeIsAnIoError) {
  ScratchDir dir;
  write_cifar10(dir);
  const std::string file = dir.file("test_batch.bin");
  write_bytes(file, cifar_record(0, {10}));  // CIFAR-10 labels are 0..9
  DataOptions o;
  o.source = dir.path().string();
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); }, {file}));

  ScratchDir dir100;
  const std::string train = dir100.file("train.bin");
  write_bytes(train, cifar_record(0, {1, 100}));  // CIFAR-100 fine labels are 0..99
  write_bytes(dir100.file("test.bin"), cifar_record(1, {1, 2}));
  o.source = dir100.path().string();
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); },
                                   {train + ": record 0 has label 100, out of range for CIFAR-100 (0..99)"}));
  // ... and its coarse labels 0..19.
  write_bytes(train, cifar_record(0, {1, 2}) + cifar_record(1, {20, 2}));
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); },
                                   {train + ": record 1 has coarse label 20, out of range for CIFAR-100 (0..19)"}));
}

TEST(CifarTest, ParseCifarFromMemorySplitsLabelsAndPixels) {
  const std::string two = cifar_record(5, {4}) + cifar_record(6, {8});
  const CifarRaw raw = parse_cifar(reinterpret_cast<const uint8_t*>(two.data()), two.size(), CifarKind::kCifar10, "m");
  EXPECT_EQ(raw.size(), 2);
  EXPECT_EQ(raw.labels, (std::vector<uint8_t>{4, 8}));
  ASSERT_EQ(raw.pixels.size(), static_cast<size_t>(2 * kCifarPixels));
  EXPECT_EQ(raw.pixels[kCifarPixels + 2 * 1024 + 31 * 32], cifar_pixel(6, 2, 31, 0));
  EXPECT_EQ(cifar_record_bytes(CifarKind::kCifar10), 3073);
  EXPECT_EQ(cifar_record_bytes(CifarKind::kCifar100), 3074);
  // The same bytes are not whole CIFAR-100 records.
  EXPECT_TRUE(throws_with<IoError>(
      [&] { parse_cifar(reinterpret_cast<const uint8_t*>(two.data()), two.size(), CifarKind::kCifar100, "m"); },
      {"m: 6146 bytes is not a whole number of 3074-byte CIFAR-100 records"}));
}

TEST(CifarTest, MissingBatchFileIsAnIoError) {
  ScratchDir dir;
  write_cifar10(dir);
  test::fs::remove(dir.path() / "data_batch_4.bin");
  DataOptions o;
  o.source = dir.path().string();
  EXPECT_TRUE(throws_with<IoError>([&] { load_data(o); }, {dir.file("data_batch_4.bin")}));
}

// ---------------------------------------------------------------------------------------------
// Crop and flip augmentation

// Which (dy, dx, flip) reproduce `out` from `in` zero-padded by `pad`; empty if none does.
std::vector<std::tuple<int, int, bool>> explanations(const torch::Tensor& in, const torch::Tensor& out, int pad) {
  const int64_t h = in.size(1), w = in.size(2);
  const torch::Tensor padded = torch::constant_pad_nd(in, {pad, pad, pad, pad}, 0);
  std::vector<std::tuple<int, int, bool>> found;
  for (int dy = 0; dy <= 2 * pad; ++dy)
    for (int dx = 0; dx <= 2 * pad; ++dx) {
      const torch::Tensor crop = padded.narrow(1, dy, h).narrow(2, dx, w);
      if (torch::equal(out, crop)) found.emplace_back(dy, dx, false);
      if (torch::equal(out, crop.flip({2}))) found.emplace_back(dy, dx, true);
    }
  return found;
}

TEST(AugmentTest, EveryOutputIsAPaddedCropOrItsMirror) {
  // 400 copies of one 1x4x4 image with distinct non-zero values 1..16 (no crop or mirror of it
  // equals another), pad 1: 3 x 3 offsets x 2 flips = 18 possible outputs.
  const int64_t b = 400;
  const torch::Tensor image = torch::arange(1, 17, torch::kFloat32).view({1, 4, 4});
  const torch::Tensor x = image.unsqueeze(0).repeat({b, 1, 1, 1});
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(1234);
  const torch::Tensor y = augment_crop_flip(x, 1, g);
  ASSERT_EQ(y.sizes().vec(), x.sizes().vec());
  EXPECT_EQ(y.scalar_type(), x.scalar_type());
  std::set<std::tuple<int, int, bool>> seen;
  int flipped = 0;
  for (int64_t i = 0; i < b; ++i) {
    const auto how = explanations(image, y[i], 1);
    ASSERT_EQ(how.size(), 1u) << "sample " << i << " is not exactly one crop/flip of the input:\n" << y[i];
    seen.insert(how.front());
    flipped += std::get<2>(how.front());
  }
  // All 18 outcomes appear: the chance that a uniform draw misses one in 400 tries is below
  // 18 * (17/18)^400 ~ 1e-9. Flips are ~Binomial(400, 1/2): 200 +- 10, so [150, 250] is 5 sigma.
  EXPECT_EQ(seen.size(), 18u);
  EXPECT_GE(flipped, 150);
  EXPECT_LE(flipped, 250);
}

TEST(AugmentTest, EachSampleIsAugmentedOnItsOwn) {
  // Different images in one batch: output i must be a crop/flip of input i (not of another).
  torch::Generator data_gen = at::make_generator<at::CPUGeneratorImpl>(9);
  const torch::Tensor x = torch::rand({32, 2, 5, 5}, data_gen) + 1.0;  // strictly non-zero
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(10);
  const torch::Tensor y = augment_crop_flip(x, 2, g);
  ASSERT_EQ(y.sizes().vec(), x.sizes().vec());
  for (int64_t i = 0; i < 32; ++i) EXPECT_EQ(explanations(x[i], y[i], 2).size(), 1u) << "sample " << i;
}

TEST(AugmentTest, PadZeroOnlyFlips) {
  torch::Generator data_gen = at::make_generator<at::CPUGeneratorImpl>(11);
  const torch::Tensor x = torch::rand({64, 3, 4, 6}, data_gen);
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(12);
  const torch::Tensor y = augment_crop_flip(x, 0, g);
  int flipped = 0;
  for (int64_t i = 0; i < 64; ++i) {
    const bool same = torch::equal(y[i], x[i]), mirror = torch::equal(y[i], x[i].flip({2}));
    EXPECT_TRUE(same || mirror) << "sample " << i;
    flipped += mirror;
  }
  // Binomial(64, 1/2): 32 +- 4; [12, 52] is 5 sigma. Some but not all are mirrored.
  EXPECT_GE(flipped, 12);
  EXPECT_LE(flipped, 52);
}

TEST(AugmentTest, SameGeneratorSeedGivesTheSameBatch) {
  torch::Generator data_gen = at::make_generator<at::CPUGeneratorImpl>(13);
  const torch::Tensor x = torch::rand({50, 3, 8, 8}, data_gen);
  torch::Generator g1 = at::make_generator<at::CPUGeneratorImpl>(77);
  torch::Generator g2 = at::make_generator<at::CPUGeneratorImpl>(77);
  torch::Generator g3 = at::make_generator<at::CPUGeneratorImpl>(78);
  const torch::Tensor a = augment_crop_flip(x, 4, g1);
  EXPECT_TRUE(torch::equal(a, augment_crop_flip(x, 4, g2)));
  // 50 samples with 162 outcomes each: two seeds agreeing everywhere has probability ~162^-50.
  EXPECT_FALSE(torch::equal(a, augment_crop_flip(x, 4, g3)));
  // The generator advances: a second batch from g1 differs from the first.
  EXPECT_FALSE(torch::equal(a, augment_crop_flip(x, 4, g1)));
}

// ---------------------------------------------------------------------------------------------
// Synthetic data sets (spec §4.1)

constexpr double kBinWidth = 100.0 / kSyntheticBins;

// Number of places where the label changes from one sample to the next.
int64_t label_changes(const torch::Tensor& labels) {
  return labels.narrow(0, 1, labels.size(0) - 1).ne(labels.narrow(0, 0, labels.size(0) - 1)).sum().item<int64_t>();
}

void expect_stripe_labels(const torch::Tensor& labels, int num_seg) {
  const int64_t n = labels.size(0);
  ASSERT_EQ(labels.scalar_type(), torch::kInt64);
  auto l = labels.accessor<int64_t, 1>();
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(l[i], (i * num_seg / n) % 2) << "sample " << i;
  EXPECT_EQ(label_changes(labels), num_seg - 1);
  // Segments are equal within one point.
  std::vector<int64_t> lengths(1, 1);
  for (int64_t i = 1; i < n; ++i) {
    if (l[i] != l[i - 1])
      lengths.push_back(1);
    else
      ++lengths.back();
  }
  EXPECT_LE(*std::max_element(lengths.begin(), lengths.end()) - *std::min_element(lengths.begin(), lengths.end()), 1);
}

TEST(SyntheticTest, LinearPointsLieOnTheDiagonalInSortedBins) {
  const int per_bin = 20;
  const SyntheticSet s = make_synthetic("linear", per_bin, 20, 5);
  const int64_t n = int64_t{kSyntheticBins} * per_bin;
  ASSERT_EQ(s.points.sizes().vec(), (std::vector<int64_t>{n, 2}));
  ASSERT_EQ(s.labels.sizes().vec(), (std::vector<int64_t>{n}));
  EXPECT_EQ(s.points.scalar_type(), torch::kFloat32);
  auto p = s.points.accessor<float, 2>();
  int64_t lower_half = 0;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(p[i][0], p[i][1]) << "sample " << i << " is not (x, x)";
    const double x = p[i][0];
    const int64_t bin = i / per_bin;
    // Values are drawn in double and stored as float: a value just below a bin edge may round
    // onto it (float spacing near 100 is ~8e-6), hence the 1e-5 slack.
    ASSERT_GE(x, bin * kBinWidth - 1e-5) << "sample " << i;
    ASSERT_LE(x, (bin + 1) * kBinWidth + 1e-5) << "sample " << i;
    ASSERT_GE(x, 0.0);
    ASSERT_LT(x, 100.0);
    if (i > 0) {
      ASSERT_GE(x, p[i - 1][0]) << "not sorted at " << i;
    }
    lower_half += x < (bin + 0.5) * kBinWidth;
  }
  // Uniform within the bin: half fall in the lower half, Binomial(2400, 1/2) = 1200 +- 24.5;
  // [1080, 1320] is ~5 sigma.
  EXPECT_GE(lower_half, 1080);
  EXPECT_LE(lower_half, 1320);
  // Distinct values (duplicates are rejected).
  std::set<float> distinct;
  for (int64_t i = 0; i < n; ++i) distinct.insert(p[i][0]);
  EXPECT_EQ(static_cast<int64_t>(distinct.size()), n);
  expect_stripe_labels(s.labels, 20);
}

TEST(SyntheticTest, CircleRadiiLieInTheirBinsWithATruncatedNormalSpread) {
  const int per_bin = 100;
  const SyntheticSet s = make_synthetic("circle", per_bin, 30, 9);
  const int64_t n = int64_t{kSyntheticBins} * per_bin;
  ASSERT_EQ(s.points.sizes().vec(), (std::vector<int64_t>{n, 2}));
  auto p = s.points.accessor<float, 2>();
  int64_t central = 0, right = 0, upper = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double x = p[i][0], y = p[i][1];
    const double r = std::sqrt(x * x + y * y);
    const int64_t bin = i / per_bin;
    // Coordinates are float32 (relative error 6e-8, so ~6e-6 absolute at r = 100): 1e-4 slack.
    ASSERT_GE(r, bin * kBinWidth - 1e-4) << "sample " << i;
    ASSERT_LE(r, (bin + 1) * kBinWidth + 1e-4) << "sample " << i;
    const double centre = (bin + 0.5) * kBinWidth;
    central += std::abs(r - centre) < kBinWidth / 4;
    right += x > 0;
    upper += y > 0;
  }
  // r ~ N(centre, (width/2)^2) truncated to the bin: P(|z| < 1/2 | |z| < 1) = 0.3829 / 0.6827 =
  // 0.561 (a uniform r would give 0.5). Binomial(12000, 0.561) sd is 0.0045: [0.54, 0.58] is
  // about 4 sigma on either side and excludes 0.5.
  EXPECT_GT(central / double(n), 0.54);
  EXPECT_LT(central / double(n), 0.58);
  // Angles uniform on the circle: half the points on each side, sd 0.0046; [0.47, 0.53] is ~6 sigma.
  EXPECT_GT(right / double(n), 0.47);
  EXPECT_LT(right / double(n), 0.53);
  EXPECT_GT(upper / double(n), 0.47);
  EXPECT_LT(upper / double(n), 0.53);
  expect_stripe_labels(s.labels, 30);
}

TEST(SyntheticTest, LabelsAreAlternatingSegmentsForAnyCount) {
  // 1200 points: 20 divides it, 7 and 1199 do not (segments then differ by one point); 1 gives a
  // single class-0 segment.
  for (int num_seg : {1, 2, 7, 20, 1199, 1200}) {
    SCOPED_TRACE("num_seg " + std::to_string(num_seg));
    const SyntheticSet s = make_synthetic("linear", 10, num_seg, 3);
    expect_stripe_labels(s.labels, num_seg);
  }
}

TEST(SyntheticTest, SeedDecidesThePoints) {
  for (const char* kind : {"linear", "circle"}) {
    SCOPED_TRACE(kind);
    const SyntheticSet a = make_synthetic(kind, 10, 20, 42), b = make_synthetic(kind, 10, 20, 42);
    const SyntheticSet c = make_synthetic(kind, 10, 20, 43);
    EXPECT_TRUE(torch::equal(a.points, b.points));
    EXPECT_TRUE(torch::equal(a.labels, b.labels));
    EXPECT_FALSE(torch::equal(a.points, c.points));
    EXPECT_TRUE(torch::equal(a.labels, c.labels));  // labels depend only on the index
  }
}

TEST(SyntheticTest, BadArgumentsAreSpecErrors) {
  EXPECT_THROW(make_synthetic("spiral", 10, 20, 0), SpecError);
  EXPECT_THROW(make_synthetic("", 10, 20, 0), SpecError);
  EXPECT_THROW(make_synthetic("linear", 10, 0, 0), SpecError);
  EXPECT_THROW(make_synthetic("linear", 10, -3, 0), SpecError);
  EXPECT_THROW(make_synthetic("circle", 10, 1201, 0), SpecError);  // more segments than points
  EXPECT_THROW(make_synthetic("circle", 0, 1, 0), SpecError);
}

TEST(SyntheticTest, LoadDataGivesTheSpecSizes) {
  DataOptions o;
  o.source = "circle";
  o.seed = 3;
  const DataSplit d = load_data(o);
  EXPECT_EQ(d.name, "circle");
  EXPECT_EQ(d.classes, 2);
  EXPECT_EQ(d.shape, (std::vector<int64_t>{2}));
  EXPECT_FALSE(d.augment_crop_flip);
  // 120 bins x 100 train / 10 test points (spec §4.1).
  ASSERT_EQ(d.train.inputs.sizes().vec(), (std::vector<int64_t>{12000, 2}));
  ASSERT_EQ(d.test.inputs.sizes().vec(), (std::vector<int64_t>{1200, 2}));
  EXPECT_EQ(d.train.labels.size(0), 12000);
  EXPECT_EQ(d.test.labels.size(0), 1200);
  expect_stripe_labels(d.train.labels, 20);  // num_seg defaults to 20
  expect_stripe_labels(d.test.labels, 20);
  // Train and test are drawn from independent streams: their first bins differ.
  EXPECT_FALSE(torch::equal(d.train.inputs.narrow(0, 0, 10), d.test.inputs.narrow(0, 0, 10)));
  // The same options give the same data; the num_seg option reaches the labels.
  EXPECT_TRUE(torch::equal(load_data(o).train.inputs, d.train.inputs));
  o.num_seg = 30;
  o.source = "linear";
  o.limit_train = 600;
  const DataSplit l = load_data(o);
  EXPECT_EQ(l.name, "linear");
  EXPECT_EQ(l.train.size(), 600);
  EXPECT_EQ(l.test.size(), 1200);
  EXPECT_EQ(label_changes(l.test.labels), 29);
}

// ---------------------------------------------------------------------------------------------
// The installed default data set

TEST(FashionMnistTest, DefaultDataSetIsFashionMnist) {
  if (!test::fs::is_directory(kFashionMnistDir)) GTEST_SKIP() << kFashionMnistDir << " is not installed";
  const DataSplit& d = *test::fashion_mnist();  // load_data({})
  EXPECT_EQ(d.name, "fashion-mnist");
  EXPECT_EQ(d.classes, 10);
  EXPECT_EQ(d.shape, (std::vector<int64_t>{1, 28, 28}));
  ASSERT_EQ(d.train.inputs.sizes().vec(), (std::vector<int64_t>{60000, 1, 28, 28}));
  ASSERT_EQ(d.test.inputs.sizes().vec(), (std::vector<int64_t>{10000, 1, 28, 28}));
  EXPECT_EQ(d.train.inputs.scalar_type(), torch::kUInt8);
  EXPECT_GE(d.train.input_slice(0, 1000).min().item<float>(), 0.0f);
  EXPECT_LE(d.train.input_slice(0, 1000).max().item<float>(), 1.0f);
  // Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
  EXPECT_TRUE(torch::equal(torch::bincount(d.train.labels), torch::full({10}, 6000, torch::kInt64)));
  EXPECT_TRUE(torch::equal(torch::bincount(d.test.labels), torch::full({10}, 1000, torch::kInt64)));
}

}  // namespace
}  // namespace nnmass
