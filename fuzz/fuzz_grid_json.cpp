// Fuzzes grid files: the input is the text of a `nnmass sweep --grid` file, read through the
// sweep's own option table (the one the command line uses) and expanded as the verb does: the
// architectures, their closed forms, the seeds and the shard.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/sweep_options.h"
#include "fuzz_support.h"
#include "nnmass/cost.h"
#include "nnmass/mass.h"
#include "nnmass/spec_json.h"

namespace {

// The table is declared once (declaring ~60 options costs more than reading most grids) and reset
// to its defaults before each input.
nnmass::cli::SweepCliOptions& fresh_options() {
  static nnmass::cli::SweepCliOptions* options = [] {
    auto* o = new nnmass::cli::SweepCliOptions;
    nnmass::cli::declare_sweep_options(*o);
    return o;
  }();
  static_cast<nnmass::cli::SweepSettings&>(*options) = nnmass::cli::SweepSettings{};
  options->table.clear_given();
  return *options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  nnmass::fuzz::run_expecting_errors_only([&] {
    nnmass::cli::SweepCliOptions& o = fresh_options();
    nnmass::cli::apply_grid_json(o, nnmass::parse_json_text(text, "grid.json"), "grid.json");
    std::vector<uint64_t> seeds;
    int k = 0, n = 1;
    const std::vector<nnmass::cli::SweepSpec> specs = nnmass::cli::read_sweep_options(o, &seeds, &k, &n);
    // The closed forms of a few of them (every spec is already validated; a grid may hold 100000).
    for (size_t i = 0; i < specs.size() && i < 16; ++i) {
      const nnmass::Cost cost = nnmass::count_cost(specs[i].spec);
      nnmass::fuzz::require(cost.params > 0 && nnmass::nn_mass(specs[i].spec) >= 0, "a valid spec with no cost");
    }
    nnmass::fuzz::require(!seeds.empty() && 0 <= k && k < n, "seeds or shard out of range");
  });
  return 0;
}
