// `nnmass isometry`: layer-wise dynamical isometry at initialization (method spec §3) of one
// network or a grid of them, each over --repeats fresh topologies/initialisations, on real
// inputs. Dense MLPs: the analytic path, beside each model the Gaussian-matrix theory check of
// spec §3.3. Convolutional families: conv_isometry.h (exact or Lanczos, with the estimate's error).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/common_flags.h"
#include "cli/measure_flags.h"
#include "cli/option_flags.h"
#include "cli/spec_options.h"
#include "nnmass/memory.h"
#include "nnmass/train/recipe.h"
#include "nnmass/analysis/conv_isometry.h"
#include "nnmass/analysis/isometry.h"
#include "nnmass/cost.h"
#include "nnmass/design.h"
#include "nnmass/error.h"
#include "nnmass/mass.h"
#include "nnmass/spec_json.h"
#include "nnmass/table.h"

namespace nnmass::cli {
namespace {

// The measurement's own options (samples, derivative, batch size, Jacobian method) are shared with
// the Python module (measure_flags.h).
struct IsometryCliOptions : IsometryFlags {
  OptionTable table;
  SpecFlags spec;
  DataOptions data;
  std::string init = "default";
  double sigma = 1.0;
  SeedFlags seed;
  std::vector<uint64_t> seeds;  // from --seed/--repeats/--seeds
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

// Prints how far a long measurement is, after 5 s (stderr).
std::function<void(int64_t, int64_t)> progress_printer() {
  const auto start = std::chrono::steady_clock::now();
  return [start, shown = false](int64_t done, int64_t total) mutable {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (s < 5 && !shown) return;
    shown = true;
    std::fprintf(stderr, "\risometry: %lld/%lld samples, %.0f s, ETA %.0f s   ", static_cast<long long>(done),
                 static_cast<long long>(total), s, s / done * (total - done));
    if (done == total) std::fprintf(stderr, "\n");
  };
}

IsometryResult measure_mlp(DenseMlpImpl& mlp, const IsometryCliOptions& opt, const torch::Tensor& inputs) {
  IsometryOptions options;
  options.derivative = parse_derivative(opt.derivative, "--derivative");
  // Wide layers take seconds a sample: smaller chunks, so progress shows (same result).
  const std::vector<LayerInfo> layers = mlp.layer_table();
  const bool wide = std::any_of(layers.begin(), layers.end(), [](const LayerInfo& l) { return l.out > 128; });
  options.batch_size = wide ? std::min<int64_t>(opt.batch_size, 10) : opt.batch_size;
  options.progress = progress_printer();
  return measure_isometry(mlp, inputs, options);
}

IsometryResult measure_timed(NetworkImpl& network, const IsometryCliOptions& opt, const torch::Tensor& inputs,
                             uint64_t seed, double* seconds) {
  const auto start = std::chrono::steady_clock::now();
  IsometryResult result;
  if (auto* mlp = dynamic_cast<DenseMlpImpl*>(&network)) {
    result = measure_mlp(*mlp, opt, inputs);
  } else {
    ConvIsometryOptions options;
    options.method = parse_jacobian_method(opt.method, "--method");
    options.steps = opt.steps;
    options.probes = opt.probes;
    options.exact_max_entries = opt.exact_max;
    options.seed = seed;
    options.batch_size = opt.batch_size;
    options.progress = progress_printer();
    result = to_isometry_result(measure_conv_isometry(network, inputs, options));
  }
  *seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

IsometryResult measure_once(const Spec& spec, const IsometryCliOptions& opt, const InitOptions& init,
                            const torch::Tensor& inputs, double* seconds) {
  std::optional<Links> links;
  if (is_dense(spec.family)) links = draw_links(spec, init.seed);
  const Network network = build_network(spec, links ? &*links : nullptr, init);
  return measure_timed(*network, opt, inputs, init.seed, seconds);
}

nlohmann::json error_json(const EstimateError& e) {
  return {{"method", e.method}, {"mean_se", e.mean_se}, {"std_se", e.std_se},
          {"mean_bound", e.mean_bound}, {"std_bound", e.std_bound}};
}

nlohmann::json to_json(const ModelIsometry& m, const IsometryCliOptions& opt) {
  nlohmann::json repeats = nlohmann::json::array();
  for (size_t r = 0; r < m.repeats.size(); ++r) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : m.repeats[r].layers)
      layers.push_back({{"name", l.name}, {"rows", l.rows}, {"cols", l.cols}, {"mean", l.mean}, {"std", l.std},
                        {"count", l.count}, {"error", error_json(l.error)}});
    repeats.push_back({{"seed", opt.seeds[r]}, {"mean", m.repeats[r].mean}, {"std", m.repeats[r].std},
                       {"count", m.repeats[r].count}, {"error", error_json(m.repeats[r].error)}, {"layers", layers}});
  }
  const Cost cost = count_cost(m.spec);
  return {{"spec", spec_to_json(m.spec)}, {"nn_mass", nn_mass(m.spec)}, {"params", cost.params},
          {"flops", cost.flops}, {"init", opt.init}, {"sigma", opt.sigma},
          {"derivative", m.spec.family == Family::kMlp ? nlohmann::json(opt.derivative) : nlohmann::json()},
          {"conv_options", m.spec.family == Family::kMlp ? nlohmann::json()
                                                         : nlohmann::json{{"method", opt.method}, {"exact_max", opt.exact_max},
                                                                          {"lanczos_steps", opt.steps}, {"probes", opt.probes}}},
          {"mean", m.mean()}, {"std", m.std()}, {"mean_spread", m.spread()},
          {"theory_gaussian_mean", m.spec.family == Family::kMlp ? nlohmann::json(m.theory) : nlohmann::json()},
          {"seconds", m.seconds}, {"samples", opt.samples}, {"repeats", repeats}};
}

// The largest probe standard error and quadrature bound over the repeats ("exact" if none).
std::string error_text(const ModelIsometry& m) {
  double se = 0, bound = 0;
  for (const auto& r : m.repeats) se = std::max(se, r.error.mean_se), bound = std::max(bound, r.error.mean_bound);
  if (se == 0 && bound == 0) return "exact";
  return "se " + fixed(se, 4) + ", bias <= " + fixed(bound, 4);
}

void print_table(const std::vector<ModelIsometry>& models, const IsometryCliOptions& opt, const std::string& data) {
  const bool mlp = std::all_of(models.begin(), models.end(), [](const ModelIsometry& m) { return m.spec.family == Family::kMlp; });
  std::cout << "layer-wise Jacobian singular values at init: " << data << ", " << opt.samples << " samples, init "
            << opt.init << (mlp ? ", " + opt.derivative + " derivative, " : ", ") << opt.seeds.size() << " "
            << (mlp ? "topolog" : "initialisation") << (opt.seeds.size() == 1 ? (mlp ? "y" : "") : (mlp ? "ies" : "s"))
            << " per model\n\n";
  if (mlp) {
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
  } else {
    Table table({"model", "architecture", "NN-Mass", "params", "mean σ", "± seeds", "std σ", "estimate error (mean σ)"});
    for (size_t k = 0; k < models.size(); ++k) {
      const ModelIsometry& m = models[k];
      table.add_row({std::to_string(k), to_string(m.spec.family) + " " + architecture_text(m.spec), fixed(nn_mass(m.spec), 3),
                     group_digits(count_cost(m.spec).params), fixed(m.mean(), 4), fixed(m.spread(), 4),
                     fixed(m.std(), 4), error_text(m)});
    }
    std::cout << table.render();
  }
  if (!opt.layers) return;
  for (size_t k = 0; k < models.size(); ++k) {
    Table layers({"layer", "jacobian", "method", "mean σ", "std σ", "se (mean)", "bias bound (mean)"});
    for (const auto& l : models[k].repeats.front().layers)
      layers.add_row({l.name, std::to_string(l.rows) + "x" + std::to_string(l.cols), l.error.method, fixed(l.mean, 4),
                      fixed(l.std, 4), fixed(l.error.mean_se, 4), fixed(l.error.mean_bound, 4)});
    std::cout << "\nmodel " << k << ", first " << (mlp ? "topology" : "seed") << "\n" << layers.render();
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
  const bool conv = std::any_of(specs.begin(), specs.end(), [](const Spec& s) { return s.family != Family::kMlp; });
  const bool mlp = std::any_of(specs.begin(), specs.end(), [](const Spec& s) { return s.family == Family::kMlp; });
  if (conv) {
    if (opt.table.given("derivative")) throw SpecError("--derivative applies to mlp only (convolutional layers use ReLU)");
    apply_conv_isometry_defaults(opt.table, &opt);
  }
  if (mlp)
    for (const char* flag : {"method", "lanczos-steps", "probes", "exact-max"})
      if (opt.table.given(flag)) throw SpecError(std::string("--") + flag + " applies to convolutional networks only (the dense MLP's Jacobians are analytic)");
  for (const Spec& s : specs) {
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
    if (loaded) m.repeats.push_back(measure_timed(*loaded->network, opt, inputs, loaded->init.seed, &m.seconds));
    for (size_t r = 0; !loaded && r < opt.seeds.size(); ++r) {
      const InitOptions init{parse_init(opt.init, "--init"), opt.sigma, opt.seeds[r]};
      m.repeats.push_back(measure_once(m.spec, opt, init, inputs, &m.seconds));
    }
    if (m.spec.family == Family::kMlp) {
      const int width = m.spec.cells.front().width;
      const int draws = opt.theory_draws > 0 ? opt.theory_draws : theory_draws_for(width);
      m.theory = gaussian_mean_singular_value(width, nn_mass(m.spec), draws, opt.seeds.front());
    }
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
      "Layer-wise dynamical isometry (Jacobian singular values) at initialization.\n"
      "The mean and std of the singular values of every layer's Jacobian (w.r.t. its concatenated\n"
      "input, at each test image) at initialization, pooled over layers and images.\n"
      "Dense MLPs: analytic, beside it the mean singular value of a w x (w + m/2) Gaussian matrix\n"
      "(the theory check). cnn, dwcnn, resnet, mobilenet_v2: each conv layer (ResNet/MobileNet:\n"
      "each block, skip included) with its BatchNorm (at the images' batch statistics) and ReLUs;\n"
      "exact for Jacobians of at most --exact-max entries, else stochastic Lanczos quadrature,\n"
      "whose standard error and bias bound are printed. Comma lists in --depth/--width/--tc give\n"
      "a grid of models.\n"
      "Examples:\n"
      "  nnmass isometry --family mlp --width 8 --depth 16 --tc 0,4,8,12 --repeats 5\n"
      "  nnmass isometry --family mlp --width 8 --depth 32 --tc 8 --derivative reference --json\n"
      "  nnmass isometry --family cnn --width 8:16:16 --depth 8 --tc 0,16:32:32 --head reference --per-layer\n"
      "  nnmass isometry --arch resnet18 --stem cifar --samples 16");
  OptionTable& t = opt->table;
  add_spec_flags(t, &opt->spec);
  t.group("Isometry");
  t.add("data", &opt->data.source, "Data set whose test images are the inputs [default: Fashion-MNIST]");
  add_isometry_flags(t, opt.get());
  add_init_options(t, &opt->init, &opt->sigma);
  add_seed_options(t, &opt->seed, 1);
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
