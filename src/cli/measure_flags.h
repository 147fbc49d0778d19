// The measurement options of `nnmass isometry` and `nnmass score`, declared once for the command
// line and the Python module (python/src/call_options.cpp), which read the same table.
#pragma once

#include <cstdint>
#include <string>

#include "nnmass/options.h"

namespace nnmass::cli {

// How layer-wise Jacobians are measured (isometry).
struct IsometryFlags {
  int64_t samples = 10000;  // the official ldi.py uses the whole 10,000-image test set (MLP)
  std::string derivative = "correct";
  int64_t batch_size = 1000;
  // Convolutional networks (conv_isometry.h).
  std::string method = "auto";
  int steps = 32, probes = 2;
  int64_t exact_max = int64_t{1} << 18;  // past ~500 x 500 Lanczos is cheaper (eigvalsh grows as n^3)
};
// Defaults for convolutional networks, whose layer Jacobians cost far more than an MLP's.
constexpr int64_t kConvIsometrySamples = 64, kConvIsometryBatch = 16;

// --samples, --derivative, --batch-size, --method, --exact-max, --lanczos-steps, --probes.
void add_isometry_flags(OptionTable& table, IsometryFlags* flags);
// Where --samples / --batch-size were not given, the convolutional defaults.
void apply_conv_isometry_defaults(const OptionTable& table, IsometryFlags* flags);

// How proxies are computed (score). `proxies` lives with the sweep's options, which share it.
struct ProxyFlags {
  int64_t batch = 64;
  bool gaussian = false;
  int zen_repeats = 1;
};
// --proxies (into `proxies`), --batch-size, --gaussian, --zen-repeats.
void add_proxy_flags(OptionTable& table, std::string* proxies, ProxyFlags* flags);

}  // namespace nnmass::cli
