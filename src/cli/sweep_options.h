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
  std::string db = "runs/sweep.sqlite";
  std::string shard;             // "k/N"
  int jobs = 0;
  int pack = 0;                  // runs per pack; 1: each alone; 0: automatic
  int threads = 0;
  bool json = false;
  bool dry_run = false;
};

struct SweepCliOptions : SweepSettings {
  OptionTable table;  // bound to the fields above by declare_sweep_options
};

// Declares every option of the verb in o.table (bound to o's fields).
void declare_sweep_options(SweepCliOptions& o);

// "k/N" with 0 <= k < N; SpecError naming --shard otherwise. "" leaves k and n as they are.
void parse_shard(const std::string& text, int* k, int* n);

// Applies --grid (if given) and checks what needs no data: the architectures, the seeds and the
// shard. SpecError/IoError naming the flag or grid field.
std::vector<Spec> read_sweep_options(SweepCliOptions& o, std::vector<uint64_t>* seeds, int* shard_k, int* shard_n);

}  // namespace nnmass::cli
