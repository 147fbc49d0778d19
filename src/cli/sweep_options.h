// The options of `nnmass sweep`, declared once: the same table reads the command line and grid
// files. Torch-free, so the grid reader is fuzzed as it is (fuzz/fuzz_grid_json.cpp).
#pragma once

#include <string>
#include <vector>

#include "cli/common_flags.h"
#include "cli/spec_options.h"
#include "nnmass/recipe.h"

namespace nnmass::cli {

// The values the options set (plain data: reset by assigning SweepSettings{}).
struct SweepSettings {
  SpecFlags spec;
  DataOptions data;
  TrainOptions train;
  bool no_augment = false;
  std::string grid;              // --grid FILE.json
  SeedFlags seeds;
  std::string init = "default";
  double sigma = 1.0;
  int64_t ldi_samples = 1000;
  std::string derivative = "correct";
  std::string ldi_method = "auto";
  std::string proxies = "auto";
  int64_t proxy_batch = 64;
  std::string db = "runs/sweep.sqlite";
  std::string shard;             // "k/N"
  int jobs = 0;
  int pack = 0;                  // runs per pack; 1: each alone; 0: automatic
  int threads = 0;
  bool json = false;
  bool dry_run = false;
  nlohmann::json models;         // the grid's "models": spec objects, one architecture each
};

struct SweepCliOptions : SweepSettings {
  OptionTable table;  // bound to the fields above by declare_sweep_options
};

// Declares every option of the verb in o.table (bound to o's fields).
void declare_sweep_options(SweepCliOptions& o);

// "k/N" with 0 <= k < N; SpecError naming --shard otherwise. "" leaves k and n as they are.
void parse_shard(const std::string& text, int* k, int* n);

// An architecture of the sweep, and whether it takes its input shape / classes from the data.
struct SweepSpec {
  Spec spec;
  bool adopt_input = false, adopt_classes = false;
};

// Reads a grid file's JSON object into o: every field is an option (checked as its flag), except
// "models", an array of spec objects (as in spec files: "family", "arch", "input", ...; a model
// without "input" or "classes" takes the data's), kept in o.models for read_sweep_options.
// Fields named in `ignored` are skipped (a sweep's grid read by `nnmass score`, which trains nothing).
void apply_grid_json(SweepCliOptions& o, const nlohmann::json& grid, const std::string& file,
                     const std::vector<std::string>& ignored = {});

// Applies --grid (if given) and checks what needs no data: the architectures (from the flags or
// the grid's models), the seeds and the shard. SpecError/IoError naming the flag or grid field.
std::vector<SweepSpec> read_sweep_options(SweepCliOptions& o, std::vector<uint64_t>* seeds, int* shard_k,
                                          int* shard_n, const std::vector<std::string>& ignored = {});

}  // namespace nnmass::cli
