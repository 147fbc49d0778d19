// The sweep's declared options and the checks that need no data; see sweep_options.h.
#include "cli/sweep_options.h"

#include "cli/option_flags.h"
#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/spec_json.h"

namespace nnmass::cli {

void declare_sweep_options(SweepCliOptions& o) {
  OptionTable& t = o.table;
  add_spec_flags(t, &o.spec);
  add_data_options(t, &o.data);
  add_recipe_options(t, &o.train, &o.no_augment);
  t.group("Sweep");
  t.add("grid", &o.grid, "JSON file of options (the flags' names, '_' for '-'; flags given win), or of \"models\": a list of spec "
        "objects (any family) instead of the architecture flags").in_grid = false;
  add_seed_options(t, &o.seeds, 1);
  add_init_options(t, &o.init, &o.sigma);
  t.add("ldi-samples", &o.ldi_samples, 0, 1000000,
        "Test images for LDI at init (0: skip) [default: 1000 for dense MLPs, 16 for convolutional networks, "
        "whose layers cost ~1000x more an image and hold thousands of singular values each]");
  t.add("derivative", &o.derivative, "LDI activation derivative (dense MLPs)", {"correct", "reference"});
  t.add("ldi-method", &o.ldi_method,
        "LDI of convolutional layers: explicit Jacobian, Lanczos quadrature, or exact when small (nnmass isometry --help)",
        {"auto", "exact", "lanczos"});
  t.add_list("proxies", &o.proxies,
             "Zero-cost proxies measured at init on training batches (nnmass score --list-proxies): auto (all that "
             "apply), none, data-free, or a comma list; finished runs lacking one get it without retraining");
  t.add("proxy-batch", &o.proxy_batch, 2, 1 << 16, "Samples per proxy batch");
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

namespace {

constexpr size_t kMaxModels = 100000;

// The grid's "models": each a spec object, read as a spec file is; the data fills what it omits.
std::vector<SweepSpec> model_specs(const SweepCliOptions& o, const std::string& file) {
  if (const std::string flag = given_architecture_flag(o.table); !flag.empty())
    throw SpecError(file + ": \"models\" cannot be combined with --" + flag +
                    "; give every architecture field inside the models");
  if (!o.models.is_array() || o.models.empty() || o.models.size() > kMaxModels)
    throw SpecError(file + ": models must be an array of 1 to " + std::to_string(kMaxModels) +
                    " spec objects, got " + o.models.dump().substr(0, 40));
  std::vector<SweepSpec> specs;
  for (size_t i = 0; i < o.models.size(); ++i) {
    const nlohmann::json& m = o.models[i];
    const std::string where = file + ": models[" + std::to_string(i) + "]";
    if (!m.is_object()) throw SpecError(where + " must be a spec object, got " + m.dump().substr(0, 40));
    SweepSpec s;
    s.adopt_input = !m.contains("input");
    s.adopt_classes = !m.contains("classes");
    // What the data will replace is read as a large placeholder, so the spec validates now.
    nlohmann::json filled = m;
    const bool mlp = m.contains("family") && m["family"] == "mlp";
    if (s.adopt_input) filled["input"] = mlp ? nlohmann::json::array({784}) : nlohmann::json::array({3, 224, 224});
    if (s.adopt_classes) filled["classes"] = 10;
    try {
      s.spec = spec_from_json(filled);
    } catch (const SpecError& e) {
      throw SpecError(where + ": " + e.what());
    }
    specs.push_back(std::move(s));
  }
  return specs;
}

}  // namespace

void apply_grid_json(SweepCliOptions& o, const nlohmann::json& grid, const std::string& file,
                     const std::vector<std::string>& ignored) {
  std::vector<std::string> others = {"models"};
  others.insert(others.end(), ignored.begin(), ignored.end());
  o.table.apply_json(grid, file, others);
  if (grid.is_object() && grid.contains("models")) o.models = grid["models"];
}

std::vector<SweepSpec> read_sweep_options(SweepCliOptions& o, std::vector<uint64_t>* seeds, int* shard_k,
                                          int* shard_n, const std::vector<std::string>& ignored) {
  if (!o.grid.empty())
    apply_grid_json(o, parse_json_text(read_text_file(o.grid, kMaxJsonFileBytes), o.grid), o.grid, ignored);
  parse_shard(o.shard, shard_k, shard_n);
  std::vector<SweepSpec> specs;
  if (!o.models.is_null()) {
    specs = model_specs(o, o.grid.empty() ? "grid" : o.grid);
  } else {
    // Flags: --family/--arch take the data's shape and classes unless given; spec files do not.
    const bool adopt = o.spec.spec_file.empty() && o.spec.example.empty();
    for (Spec& spec : specs_from_flags(o.spec, o.table))
      specs.push_back({std::move(spec), adopt && !o.table.given("input"), adopt && !o.table.given("classes")});
  }
  *seeds = seeds_from_flags(o.seeds, o.table);
  return specs;
}

}  // namespace nnmass::cli
