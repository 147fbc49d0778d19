// `nnmass isometry`: layer-wise dynamical isometry at initialization (method spec §3) of one
// dense MLP or a grid of them, each over --repeats fresh topologies, on real inputs; beside each
// model the Gaussian-matrix theory check of spec §3.3.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/common_flags.h"
#include "cli/option_flags.h"
#include "cli/spec_options.h"
#include "nnmass/memory.h"
#include "nnmass/train/recipe.h"
#include "nnmass/analysis/isometry.h"
#include "nnmass/cost.h"
#include "nnmass/error.h"
#include "nnmass/mass.h"
#include "nnmass/spec_json.h"
#include "nnmass/table.h"

namespace nnmass::cli {
namespace {

struct IsometryCliOptions {
  OptionTable table;
  SpecFlags spec;
  DataOptions data;
  int64_t samples = 10000;  // the official ldi.py uses the whole 10,000-image test set
  std::string init = "default";
  double sigma = 1.0;
  std::string derivative = "correct";
  SeedFlags seed;
  std::vector<uint64_t> seeds;  // from --seed/--repeats/--seeds
  int64_t batch_size = 1000;
  int theory_draws = 0;  // 0: automatic (theory_draws_for)
  int threads = 0;
  bool layers = false;
  bool json = false;
  std::string load;  // --load: measure a saved model (e.g. a trained one)
};

struct ModelIsometry {
  Spec spec;
  std::vector<IsometryResult> repeats;
  double seconds = 0;  // measurement time (building excluded), all repeats
  double theory = 0;
  double mean() const {
    double s = 0;
    for (const auto& r : repeats) s += r.mean;
    return s / repeats.size();
  }
  double spread() const {  // std of the per-topology means
    if (repeats.size() < 2) return 0;
    double m = mean(), s = 0;
    for (const auto& r : repeats) s += (r.mean - m) * (r.mean - m);
    return std::sqrt(s / (repeats.size() - 1));
  }
  double std() const {
    double s = 0;
    for (const auto& r : repeats) s += r.std;
    return s / repeats.size();
  }
};

IsometryResult measure_timed(DenseMlpImpl& mlp, const IsometryCliOptions& opt, const torch::Tensor& inputs,
                             double* seconds) {
  IsometryOptions options;
  options.derivative = parse_derivative(opt.derivative, "--derivative");
  // Wide layers take seconds a sample: smaller chunks, so progress shows (same result).
  const std::vector<LayerInfo> layers = mlp.layer_table();
  const bool wide = std::any_of(layers.begin(), layers.end(), [](const LayerInfo& l) { return l.out > 128; });
  options.batch_size = wide ? std::min<int64_t>(opt.batch_size, 10) : opt.batch_size;
  const auto start = std::chrono::steady_clock::now();
  // Wide layers cost seconds a sample: after 5 s, say how far the measurement is (stderr).
  options.progress = [start, shown = false](int64_t done, int64_t total) mutable {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (s < 5 && !shown) return;
    shown = true;
    std::fprintf(stderr, "\risometry: %lld/%lld samples, %.0f s, ETA %.0f s   ", static_cast<long long>(done),
                 static_cast<long long>(total), s, s / done * (total - done));
    if (done == total) std::fprintf(stderr, "\n");
  };
  IsometryResult result = measure_isometry(mlp, inputs, options);
  *seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

IsometryResult measure_once(const Spec& spec, const IsometryCliOptions& opt, const InitOptions& init,
                            const torch::Tensor& inputs, double* seconds) {
  const Links links = draw_links(spec, init.seed);
  const Network network = build_network(spec, &links, init);
  return measure_timed(*std::dynamic_pointer_cast<DenseMlpImpl>(network), opt, inputs, seconds);
}

nlohmann::json to_json(const ModelIsometry& m, const IsometryCliOptions& opt) {
  nlohmann::json repeats = nlohmann::json::array();
  for (size_t r = 0; r < m.repeats.size(); ++r) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : m.repeats[r].layers)
      layers.push_back({{"name", l.name}, {"rows", l.rows}, {"cols", l.cols}, {"mean", l.mean}, {"std", l.std}, {"count", l.count}});
    repeats.push_back({{"seed", opt.seeds[r]}, {"mean", m.repeats[r].mean}, {"std", m.repeats[r].std},
                       {"count", m.repeats[r].count}, {"layers", layers}});
  }
  const Cost cost = count_cost(m.spec);
  return {{"spec", spec_to_json(m.spec)}, {"nn_mass", nn_mass(m.spec)}, {"params", cost.params},
          {"flops", cost.flops}, {"init", opt.init}, {"sigma", opt.sigma}, {"derivative", opt.derivative},
          {"mean", m.mean()}, {"std", m.std()}, {"mean_spread", m.spread()},
          {"theory_gaussian_mean", m.theory}, {"seconds", m.seconds}, {"repeats", repeats}};
}

void print_table(const std::vector<ModelIsometry>& models, const IsometryCliOptions& opt, const std::string& data) {
  std::cout << "layer-wise Jacobian singular values at init: " << data << ", " << opt.samples << " samples, init "
            << opt.init << ", " << opt.derivative << " derivative, " << opt.seeds.size() << " topolog"
            << (opt.seeds.size() == 1 ? "y" : "ies") << " per model\n\n";
  Table table({"model", "d", "w", "t_c", "NN-Mass", "params", "mean σ", "± topologies", "std σ",
               "Gaussian σ̄(w, m)"});
  for (size_t k = 0; k < models.size(); ++k) {
    const ModelIsometry& m = models[k];
    const Cell& c = m.spec.cells.front();
    table.add_row({std::to_string(k), std::to_string(c.depth), std::to_string(c.width), std::to_string(c.tc),
                   fixed(nn_mass(m.spec), 3), group_digits(count_cost(m.spec).params), fixed(m.mean(), 4),
                   fixed(m.spread(), 4), fixed(m.std(), 4), fixed(m.theory, 3)});
  }
  std::cout << table.render();
  if (!opt.layers) return;
  for (size_t k = 0; k < models.size(); ++k) {
    Table layers({"layer", "jacobian", "mean σ", "std σ"});
    for (const auto& l : models[k].repeats.front().layers)
      layers.add_row({l.name, std::to_string(l.rows) + "x" + std::to_string(l.cols), fixed(l.mean, 4), fixed(l.std, 4)});
    std::cout << "\nmodel " << k << ", first topology\n" << layers.render();
  }
}

// Gaussian matrices for the theory check: 200, fewer for wide layers, whose mean singular value
// concentrates (its spread shrinks with the width) while each draw costs ~w^3.
int theory_draws_for(int width) {
  constexpr double kBudget = 2e9;  // ~10 w^3 flops a draw: a few seconds in all
  const double per_draw = 10.0 * width * width * width;
  return static_cast<int>(std::clamp(kBudget / per_draw, 3.0, 200.0));
}

// The models to measure, checked (family, seeds, memory) before any data is read.
std::vector<Spec> checked_specs(IsometryCliOptions& opt, std::optional<LoadedModel>* loaded) {
  opt.seeds = seeds_from_flags(opt.seed, opt.table);
  std::vector<Spec> specs;
  if (!opt.load.empty()) {
    if (const std::string flag = given_architecture_flag(opt.table); !flag.empty())
      throw SpecError("--load takes the architecture from the model file; drop --" + flag);
    if (opt.table.given("seed") || opt.table.given("seeds") || opt.table.given("repeats"))
      throw SpecError("--load measures the saved weights; drop --seed/--seeds/--repeats");
    specs = {read_model_spec(opt.load)};
  } else {
    specs = specs_from_flags(opt.spec, opt.table);
  }
  for (const Spec& s : specs) {
    if (s.family != Family::kMlp)
      throw SpecError("isometry supports the dense MLP only for now (layer Jacobians of " + to_string(s.family) +
                      " are not implemented); use --family mlp");
    check_memory(isometry_bytes(s, std::min(opt.batch_size, opt.samples)),
                 "measuring LDI of this network with --batch-size " + std::to_string(opt.batch_size));
  }
  if (!opt.load.empty()) *loaded = load_model(opt.load);
  return specs;
}

void run_isometry(IsometryCliOptions& opt) {
  std::optional<LoadedModel> loaded;
  const std::vector<Spec> specs = checked_specs(opt, &loaded);
  set_torch_threads(choose_threads(opt.threads, specs.front(), static_cast<int>(opt.batch_size)));
  opt.data.limit_test = opt.samples;
  opt.data.need_train = false;  // only test images are used
  const DataSplit data = load_data(opt.data);
  const torch::Tensor inputs = data.test.to_input(data.test.inputs);
  std::vector<ModelIsometry> models;
  for (const Spec& flag_spec : specs) {
    ModelIsometry m;
    const bool adopt = !loaded && opt.spec.spec_file.empty() && opt.spec.example.empty();
    m.spec = fit_spec_to_data(flag_spec, data, adopt && !opt.table.given("input"), adopt && !opt.table.given("classes"));
    if (loaded) {
      auto mlp = std::dynamic_pointer_cast<DenseMlpImpl>(loaded->network);
      m.repeats.push_back(measure_timed(*mlp, opt, inputs, &m.seconds));
    }
    for (size_t r = 0; !loaded && r < opt.seeds.size(); ++r) {
      const InitOptions init{parse_init(opt.init, "--init"), opt.sigma, opt.seeds[r]};
      m.repeats.push_back(measure_once(m.spec, opt, init, inputs, &m.seconds));
    }
    const int width = m.spec.cells.front().width;
    const int draws = opt.theory_draws > 0 ? opt.theory_draws : theory_draws_for(width);
    m.theory = gaussian_mean_singular_value(width, nn_mass(m.spec), draws, opt.seeds.front());
    models.push_back(std::move(m));
  }
  if (opt.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& m : models) out.push_back(to_json(m, opt));
    std::cout << (models.size() == 1 ? out[0] : out).dump(2) << "\n";
  } else {
    print_table(models, opt, data.name);
  }
}

}  // namespace

void register_isometry(CLI::App& app) {
  auto opt = std::make_shared<IsometryCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "isometry",
      "Layer-wise dynamical isometry (Jacobian singular values) of dense MLPs at initialization.\n"
      "The mean and std of the singular values of every layer's\n"
      "Jacobian (w.r.t. its concatenated input) at initialization, pooled over layers and test\n"
      "images, for dense MLPs; beside it the mean singular value of a w x (w + m/2) Gaussian\n"
      "matrix (the theory check). Comma lists in --depth/--width/--tc give a grid of models.\n"
      "Examples:\n"
      "  nnmass isometry --family mlp --width 8 --depth 16 --tc 0,4,8,12 --repeats 5\n"
      "  nnmass isometry --family mlp --width 8 --depth 32 --tc 8 --derivative reference --json");
  OptionTable& t = opt->table;
  add_spec_flags(t, &opt->spec);
  t.group("Isometry");
  t.add("data", &opt->data.source, "Data set whose test images are the inputs [default: Fashion-MNIST]");
  t.add("samples", &opt->samples, 1, int64_t{1} << 32, "Test images used");
  add_init_options(t, &opt->init, &opt->sigma);
  t.add("derivative", &opt->derivative,
        "Activation derivative: correct, or the official code's (ELU: exp(x) for x > 0, else 0)",
        {"correct", "reference"});
  add_seed_options(t, &opt->seed, 1);
  t.add("batch-size", &opt->batch_size, 1, 1 << 20, "Samples per forward pass (Jacobians are computed per chunk)");
  t.add("theory-draws", &opt->theory_draws, 0, 1000000,
        "Gaussian matrices drawn for the theory check (0: 200, fewer for widths past 100)");
  add_threads_option(t, &opt->threads);
  t.add("load", &opt->load, "Measure a saved model file (nnmass build/train --save/--out) instead");
  t.group("Output");
  t.add_flag("per-layer", &opt->layers, "Also print per-layer means (first topology of each model)");
  add_json_option(t, &opt->json);
  add_flags(cmd, t);
  cmd->callback([opt] { run_isometry(*opt); });
}

}  // namespace nnmass::cli
