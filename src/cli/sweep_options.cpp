// The sweep's declared options and the checks that need no data; see sweep_options.h.
#include "cli/sweep_options.h"

#include "cli/option_flags.h"
#include "nnmass/error.h"

namespace nnmass::cli {

void declare_sweep_options(SweepCliOptions& o) {
  OptionTable& t = o.table;
  add_spec_flags(t, &o.spec);
  add_data_options(t, &o.data);
  add_recipe_options(t, &o.train, &o.no_augment);
  t.group("Sweep");
  t.add("grid", &o.grid, "JSON file of options (the flags' names, '_' for '-'); flags given win").in_grid = false;
  add_seed_options(t, &o.seeds, 1);
  add_init_options(t, &o.init, &o.sigma);
  t.add("ldi-samples", &o.ldi_samples, 0, 1000000, "Test images for LDI at init (0: skip)");
  t.add("derivative", &o.derivative, "LDI activation derivative", {"correct", "reference"});
  t.add("db", &o.db, "Results database (SQLite)");
  t.add("shard", &o.shard, "Run the k-th of N slices: k/N, 0 <= k < N");
  t.add("jobs", &o.jobs, 0, 1024, "Packs (or lone runs) trained at once (0: one per core)");
  t.add("pack", &o.pack, 0, 4096,
        "Most runs trained in lockstep as one computation (dense MLPs of one layer structure; their "
        "results equal the lone runs' up to float rounding); 1: every run alone; 0: automatic, from a memory budget");
  add_threads_option(t, &o.threads);
  t.add_flag("dry-run", &o.dry_run, "Check everything and print the planned runs; train nothing").in_grid = false;
  add_json_option(t, &o.json);
}

void parse_shard(const std::string& text, int* k, int* n) {
  if (text.empty()) return;
  const size_t slash = text.find('/');
  if (slash == std::string::npos) throw SpecError("--shard must be k/N with 0 <= k < N, got \"" + text + "\"");
  *n = static_cast<int>(parse_int(text.substr(slash + 1), "--shard N", 1, 1000000));
  *k = static_cast<int>(parse_int(text.substr(0, slash), "--shard k", 0, *n - 1));
}

std::vector<Spec> read_sweep_options(SweepCliOptions& o, std::vector<uint64_t>* seeds, int* shard_k, int* shard_n) {
  if (!o.grid.empty()) apply_grid_file(o.table, o.grid);
  parse_shard(o.shard, shard_k, shard_n);
  std::vector<Spec> specs = specs_from_flags(o.spec, o.table);
  *seeds = seeds_from_flags(o.seeds, o.table);
  return specs;
}

}  // namespace nnmass::cli
