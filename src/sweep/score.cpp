// Proxy inputs and measurement, and `nnmass score` runs; see score.h.
#include "nnmass/sweep/score.h"

#include <ATen/CPUGeneratorImpl.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <cmath>
#include <ctime>
#include <set>

#include "nnmass/cost.h"
#include "nnmass/design.h"
#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/graph_mass.h"
#include "nnmass/mass.h"
#include "nnmass/residual.h"
#include "nnmass/spec_json.h"
#include "sweep/jobs.h"

namespace nnmass {
namespace {

bool has_conv_maps(const Spec& spec) { return spec.family != Family::kMlp; }

}  // namespace

ProxyOptions proxy_options(const std::string& list, int64_t batch_size, bool gaussian, int zen_repeats,
                           const std::string& flag) {
  ProxyOptions o = parse_proxy_list(list, flag);
  o.batch_size = batch_size;
  o.gaussian = gaussian;
  o.zen_repeats = zen_repeats;
  return o;
}

ProxyOptions parse_proxy_list(const std::string& text, const std::string& flag) {
  ProxyOptions o;
  if (text == "none") return o;
  if (text == "auto" || text == "data-free") {
    o.names = text == "auto" ? proxy_names() : data_free_proxy_names();
    o.applicable_only = true;
    return o;
  }
  std::set<std::string> seen;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string name = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    try {
      proxy_info(name);
    } catch (const SpecError& e) {
      throw SpecError(flag + ": " + e.what() + " (or auto, data-free, none)");
    }
    if (seen.insert(name).second) o.names.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return o;
}

bool proxy_applies(const std::string& name, const Spec& spec, bool has_data, bool gaussian) {
  const ProxyInfo& info = proxy_info(name);
  if ((name == "zen" || name == "meco") && !has_conv_maps(spec)) return false;
  return !info.needs_data || has_data || gaussian;
}

std::vector<std::string> proxies_for(const Spec& spec, const ProxyOptions& o, bool has_data) {
  std::vector<std::string> out;
  for (const std::string& name : o.names) {
    if (proxy_applies(name, spec, has_data, o.gaussian)) {
      out.push_back(name);
      continue;
    }
    if (o.applicable_only) continue;
    const bool data = proxy_info(name).needs_data && !has_data && !o.gaussian;
    throw SpecError("--proxies: " + name + " cannot score " + to_string(spec.family) + " " + architecture_text(spec) +
                    (data ? ": it needs data (give --data, or --gaussian for Gaussian stand-ins)"
                          : ": it needs convolutional feature maps") +
                    "; use --proxies auto to skip what does not apply");
  }
  return out;
}

ProxyData proxy_data(const Spec& spec, const DataSplit* data, uint64_t seed, const ProxyOptions& o) {
  ProxyData d;
  d.input_shape = spec.input;
  d.classes = spec.classes;
  d.batch_size = o.batch_size;
  d.seed = seed;
  d.gaussian_data = o.gaussian;
  d.zen_repeats = o.zen_repeats;
  if (!data) return d;
  const Dataset& split = data->train.size() > 0 ? data->train : data->test;
  const int64_t b = std::min<int64_t>(o.batch_size, split.size());
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed * 2654435761ULL + 17);
  const torch::Tensor order = torch::randperm(split.size(), gen, torch::kInt64);
  std::vector<int64_t> shape = {b};
  shape.insert(shape.end(), spec.input.begin(), spec.input.end());
  for (int k = 0; k < 2 && (k + 1) * b <= split.size(); ++k) {  // two batches (ZiCo), disjoint
    const torch::Tensor rows = order.slice(0, k * b, (k + 1) * b);
    d.images.push_back(split.to_input(split.inputs.index_select(0, rows)).reshape(shape));
    d.labels.push_back(split.labels.index_select(0, rows));
  }
  return d;
}

std::vector<std::string> measure_proxies(const ModelFactory& make, const ProxyData& data,
                                         const std::vector<std::string>& names, RunRecord& r) {
  std::vector<std::string> warnings;
  for (const std::string& name : names) {
    const auto start = std::chrono::steady_clock::now();
    double value = std::nan("");
    try {
      value = compute_proxy(name, make, data);
    } catch (const std::exception& e) {
      const std::string what = e.what();
      warnings.push_back(name + " failed on " + r.family + " " + r.cells + ": " + what.substr(0, what.find('\n')));
    }
    r.proxies[name] = value;
    r.proxy_seconds[name] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return warnings;
}

RunRecord describe_architecture(const Spec& spec, uint64_t seed) {
  RunRecord r;
  r.family = to_string(spec.family);
  for (const Cell& c : spec.cells) r.depth += c.depth;
  if (!spec.cells.empty()) {
    r.width = spec.cells.front().width;
    r.tc = spec.cells.front().tc;
  }
  if (spec.family == Family::kResNet || spec.family == Family::kMobileNetV2) {  // blocks, first block's width
    const auto blocks = residual_blocks(spec);
    r.depth = static_cast<int64_t>(blocks.size());
    r.width = blocks.empty() ? 0 : blocks.front().mid;
  } else if (spec.family == Family::kNb201) {  // searched cells, first stage's channels
    r.depth = 3 * int64_t{spec.nb201.cells_per_stage};
    r.width = spec.nb201.channels;
  }
  r.cells = architecture_text(spec);
  r.seed = static_cast<int64_t>(seed);
  r.nn_mass = nn_mass(spec);
  r.density = average_density(spec);
  const Cost cost = count_cost(spec);
  r.params = cost.params;
  r.macs = cost.macs;
  r.flops = cost.flops;
  r.ldi_mean = r.ldi_std = std::nan("");
  r.spec_json = spec_to_json(spec).dump();
  r.nnmass_version = NNMASS_VERSION;
  return r;
}

namespace {

// Proxies for a TorchScript model: zen and meco need conv feature maps.
std::vector<std::string> torchscript_proxies(const TorchScriptSummary& s, const std::string& path,
                                             const ProxyOptions& o, bool has_data) {
  Spec like;  // stands for the model in proxies_for: a conv family, or the MLP
  like.family = s.convs > 0 ? Family::kCnn : Family::kMlp;
  try {
    return proxies_for(like, o, has_data);
  } catch (const SpecError& e) {
    std::string what = e.what();
    const size_t at = what.find(" cannot score ");
    if (at != std::string::npos) what = what.substr(0, at) + " cannot score " + path + what.substr(what.find(':', at));
    throw SpecError(what);
  }
}

std::string file_fingerprint(const std::string& path) { return run_fingerprint(read_text_file(path, int64_t{1} << 34)); }

}  // namespace

std::vector<ScoreRun> plan_scores(const ScoreConfig& config, const DataSplit* data) {
  if (config.specs.empty() && config.torchscripts.empty()) throw SpecError("nothing to score: no architectures");
  if (config.seeds.empty()) throw SpecError("nothing to score: no seeds");
  std::vector<ScoreRun> runs;
  for (const Spec& spec : config.specs) {
    const std::vector<std::string> names = proxies_for(spec, config.proxies, data != nullptr);
    for (uint64_t seed : config.seeds) {
      const nlohmann::json identity = {
          {"score", 1}, {"spec", spec_to_json(spec)}, {"seed", seed}, {"init", to_string(config.init)},
          {"sigma", config.sigma}, {"data", data ? data->name : "none"},
          {"train_size", data ? data->train.size() : 0}, {"batch_size", config.proxies.batch_size},
          {"gaussian", config.proxies.gaussian}, {"zen_repeats", config.proxies.zen_repeats}};
      runs.push_back({spec, seed, run_fingerprint(identity.dump()), names, "", nullptr});
    }
  }
  for (const std::string& path : config.torchscripts) {
    auto summary = std::make_shared<const TorchScriptSummary>(summarize_torchscript(path, config.torchscript_input));
    if (data && summary->classes < data->classes)
      throw SpecError(path + " has " + std::to_string(summary->classes) + " outputs, fewer than the " +
                      std::to_string(data->classes) + " classes of " + data->name);
    const std::vector<std::string> names = torchscript_proxies(*summary, path, config.proxies, data != nullptr);
    const std::string content = file_fingerprint(path);
    for (uint64_t seed : config.seeds) {
      const nlohmann::json identity = {
          {"score", 1}, {"torchscript", content}, {"input", config.torchscript_input}, {"seed", seed},
          {"data", data ? data->name : "none"}, {"train_size", data ? data->train.size() : 0},
          {"batch_size", config.proxies.batch_size}, {"gaussian", config.proxies.gaussian},
          {"zen_repeats", config.proxies.zen_repeats}};
      runs.push_back({Spec{}, seed, run_fingerprint(identity.dump()), names, path, summary});
    }
  }
  return runs;
}

namespace {

struct ScoreWork {
  const ScoreRun* run;
  std::vector<std::string> missing;
  bool known;  // the run has a row: only proxies are added
};

// The columns of a TorchScript run: counts measured on its graph, NN-Mass through the graph.
RunRecord describe_torchscript(const ScoreRun& run, const ScoreConfig& config) {
  const TorchScriptSummary& s = *run.summary;
  RunRecord r;
  r.family = "torchscript";
  r.cells = run.torchscript;
  r.depth = s.convs + s.linears;
  r.seed = static_cast<int64_t>(run.seed);
  const std::vector<MassTerm> terms = graph_mass_terms(s.graph);
  for (const MassTerm& t : terms) {
    r.nn_mass += t.mass;
    r.density += t.density / static_cast<double>(terms.size());
  }
  r.params = s.params;
  r.macs = s.macs;
  r.flops = s.flops;
  r.ldi_mean = r.ldi_std = std::nan("");
  r.spec_json = nlohmann::json{{"torchscript", run.torchscript}, {"input", config.torchscript_input}}.dump();
  r.nnmass_version = NNMASS_VERSION;
  return r;
}

RunRecord score_one(const ScoreWork& w, const ScoreConfig& config, const DataSplit* data,
                    std::vector<std::string>* warnings) {
  const ScoreRun& run = *w.run;
  RunRecord r = run.summary ? describe_torchscript(run, config) : describe_architecture(run.spec, run.seed);
  r.key = run.key;
  r.status = "ok";
  r.test_acc = r.test_loss = r.train_seconds = std::nan("");
  r.data = data ? data->name : "none";
  r.recipe_json = nlohmann::json{{"score", {{"batch_size", config.proxies.batch_size},
                                            {"gaussian", config.proxies.gaussian},
                                            {"zen_repeats", config.proxies.zen_repeats},
                                            {"init", to_string(config.init)}, {"sigma", config.sigma}}}}
                      .dump();
  std::optional<Links> links;
  if (!run.summary && is_dense(run.spec.family)) {
    links = draw_links(run.spec, run.seed);
    r.links_json = links_to_json(*links).dump();
  }
  const ModelFactory build =
      run.summary ? torchscript_factory(run.torchscript)
                  : network_factory(run.spec, links ? &*links : nullptr, InitOptions{config.init, config.sigma, run.seed});
  const ModelFactory locked = [&build] {  // torch's global generator seeds every build: one at a time
    static std::mutex m;
    std::lock_guard<std::mutex> lock(m);
    return build();
  };
  Spec shape = run.spec;  // a TorchScript model's inputs: the given shape, the data's classes
  if (run.summary) {
    shape.input = config.torchscript_input;
    shape.classes = static_cast<int>(data ? data->classes : run.summary->classes);
  }
  *warnings = measure_proxies(locked, proxy_data(shape, data, run.seed, config.proxies), w.missing, r);
  r.finished_at = utc_timestamp();
  return r;
}

}  // namespace

int run_scores(const std::vector<ScoreRun>& runs, const ScoreConfig& config, const DataSplit* data, RunStore& store,
               const ScoreProgress& progress, const std::function<void(const std::string&)>& warn) {
  const std::map<std::string, std::set<std::string>> have = store.proxy_names();
  const std::set<std::string> finished = store.finished_keys();
  const int total = static_cast<int>(runs.size());
  std::vector<ScoreWork> work;
  for (const ScoreRun& run : runs) {
    const auto it = have.find(run.key);
    ScoreWork w{&run, {}, finished.count(run.key) > 0};
    for (const std::string& name : run.proxies)
      if (it == have.end() || !it->second.count(name)) w.missing.push_back(name);
    if (!w.known || !w.missing.empty()) work.push_back(std::move(w));
  }
  std::mutex store_mutex;
  int done = total - static_cast<int>(work.size());
  detail::run_jobs(work.size(), config.jobs, [&](size_t i, const std::atomic<bool>& stop) {
    std::vector<std::string> warnings;
    const RunRecord r = score_one(work[i], config, data, &warnings);
    std::lock_guard<std::mutex> lock(store_mutex);
    if (stop) return;
    if (work[i].known) store.put_proxies(r.key, r.proxies, r.proxy_seconds);
    else store.put(r);
    for (const std::string& w : warnings)
      if (warn) warn(w);
    if (progress) progress(r, ++done, total, static_cast<int>(work[i].missing.size()));
  });
  return static_cast<int>(work.size());
}

}  // namespace nnmass
