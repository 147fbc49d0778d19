// See measure_flags.h.
#include "cli/measure_flags.h"

namespace nnmass::cli {

void add_isometry_flags(OptionTable& t, IsometryFlags* f) {
  t.add("samples", &f->samples, 1, int64_t{1} << 32, "Test images used [default: 10000 mlp, 64 otherwise]");
  t.add("derivative", &f->derivative,
        "Activation derivative: correct, or the official code's (ELU: exp(x) for x > 0, else 0)",
        {"correct", "reference"});
  t.add("batch-size", &f->batch_size, 1, 1 << 20,
        "Samples per forward pass (Jacobians are computed per chunk) [default: 1000 mlp, 16 otherwise]");
  t.add("method", &f->method, "Convolutional layers: explicit Jacobian, Lanczos quadrature, or exact when small",
        {"auto", "exact", "lanczos"});
  t.add("exact-max", &f->exact_max, 1, int64_t{1} << 40, "auto: exact when a layer's Jacobian has at most this many entries");
  t.add("lanczos-steps", &f->steps, 1, 10000, "Lanczos steps per probe");
  t.add("probes", &f->probes, 1, 10000, "Rademacher probes per image (2 or more for a standard error)");
}

void apply_conv_isometry_defaults(const OptionTable& table, IsometryFlags* f) {
  if (!table.given("samples")) f->samples = kConvIsometrySamples;
  if (!table.given("batch-size")) f->batch_size = kConvIsometryBatch;
}

void add_proxy_flags(OptionTable& t, std::string* proxies, ProxyFlags* f) {
  t.add_list("proxies", proxies, "auto (all that apply), data-free (synflow, zen, meco), none, or a comma list");
  t.add("batch-size", &f->batch, 2, 1 << 16, "Samples per proxy batch (real or Gaussian)");
  t.add_flag("gaussian", &f->gaussian, "Without data, feed the data-needing proxies Gaussian images and random labels");
  t.add("zen-repeats", &f->zen_repeats, 1, 1024, "Zen-score: Gaussian re-initialisations averaged");
}

}  // namespace nnmass::cli
