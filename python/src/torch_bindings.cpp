// The functions of _nnmass that build or run networks: a runnable TorchScript archive of a spec
// (build), the spec of a model file, layer-wise isometry, zero-cost proxies of a spec or of a
// TorchScript file, and the counts and NN-Mass of any TorchScript file. Tensors cross the boundary
// as numpy arrays and TorchScript archives as bytes or files: torch's own Python bindings are not
// used, so this module works beside any import order of Python's torch (the same libtorch).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings.h"
#include "call_options.h"
#include "nnmass/analysis/conv_isometry.h"
#include "nnmass/analysis/isometry.h"
#include "nnmass/analysis/proxies.h"
#include "nnmass/analysis/torchscript_model.h"
#include "nnmass/cost.h"
#include "nnmass/error.h"
#include "nnmass/graph_mass.h"
#include "nnmass/mass.h"
#include "nnmass/memory.h"
#include "nnmass/nn/dense_mlp.h"
#include "nnmass/nn/network.h"
#include "nnmass/spec_json.h"
#include "nnmass/sweep/score.h"
#include "nnmass/sweep/store.h"
#include "nnmass/train/recipe.h"

namespace py = pybind11;

namespace nnmass::python {
namespace {

// What a library call changes in the torch that Python's torch shares (one libtorch in the
// process): the intra-op threads and the default generator (build_network seeds it). Both are
// restored on return, so `nnmass.build()` neither reseeds nor re-threads the caller's torch.
class TorchStateGuard {
 public:
  TorchStateGuard() : threads_(torch::get_num_threads()), generator_(at::detail::getDefaultCPUGenerator()) {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    state_ = generator_.get_state();
  }
  ~TorchStateGuard() {
    torch::set_num_threads(threads_);
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(state_);
  }
  TorchStateGuard(const TorchStateGuard&) = delete;
  TorchStateGuard& operator=(const TorchStateGuard&) = delete;

 private:
  int threads_;
  at::Generator generator_;
  torch::Tensor state_;
};

// numpy -> float32 tensor (a copy), [N, ...].
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;
using LabelArray = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;

torch::Tensor to_tensor(const FloatArray& a, const std::string& what) {
  if (a.ndim() < 2)
    throw SpecError(what + " must be an array [N, ...] of samples, got " + std::to_string(a.ndim()) + " dimensions");
  if (a.shape(0) == 0) throw SpecError(what + " holds no samples");
  std::vector<int64_t> shape(a.shape(), a.shape() + a.ndim());
  return torch::from_blob(const_cast<float*>(a.data()), shape, torch::kFloat32).clone();
}

// The inputs reshaped to the spec's sample shape; SpecError if a sample has another size.
torch::Tensor fit_inputs(const torch::Tensor& x, const std::vector<int64_t>& input, const std::string& what) {
  int64_t want = 1;
  for (int64_t d : input) want *= d;
  const int64_t have = x[0].numel();
  if (have != want) {
    std::string shape;
    for (int64_t d : input) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    throw SpecError(what + ": a sample has " + std::to_string(have) + " values, the network's input " + shape +
                    " takes " + std::to_string(want));
  }
  std::vector<int64_t> shape = {x.size(0)};
  shape.insert(shape.end(), input.begin(), input.end());
  return x.reshape(shape);
}

// A data split from numpy inputs and labels (the proxies' batches come from its training split).
DataSplit arrays_split(const FloatArray& images, const LabelArray& labels) {
  DataSplit d;
  d.name = "arrays";
  d.train.inputs = to_tensor(images, "data inputs");
  if (labels.ndim() != 1 || labels.shape(0) != d.train.inputs.size(0))
    throw SpecError("data labels must be an array [N] of class indices, one per input (" +
                    std::to_string(d.train.inputs.size(0)) + ")");
  d.train.labels = torch::from_blob(const_cast<int64_t*>(labels.data()), {labels.shape(0)}, torch::kInt64).clone();
  if (d.train.labels.min().item<int64_t>() < 0) throw SpecError("data labels must be class indices >= 0");
  d.classes = d.train.labels.max().item<int64_t>() + 1;
  d.shape.assign(images.shape() + 1, images.shape() + images.ndim());
  d.test.inputs = d.train.inputs.narrow(0, 0, 0);
  d.test.labels = d.train.labels.narrow(0, 0, 0);
  return d;
}

// Whether a spec came from keywords that leave its input shape or classes to the data (the CLI's
// rule: --input and --classes default to the data's).
bool adopts(const cli::SpecFlags& flags, const std::string& spec_json) {
  return spec_json.empty() && flags.spec_file.empty() && flags.example.empty();
}

// ---- build ----------------------------------------------------------------------------------

py::bytes build_model(const std::string& spec_json, const std::string& keywords, const std::string& links_json) {
  BuildCall call;
  apply_keywords(call.table, keywords, "build()");
  const Spec spec = call_spec(spec_json, call.spec, call.table, "build()");
  const InitOptions init{parse_init(call.init, "init"), call.sigma, call.seed.seed};
  std::optional<Links> links;
  if (!links_json.empty()) {
    if (!is_dense(spec.family)) throw SpecError("build(): links apply to the dense families only (mlp, cnn, dwcnn)");
    links = links_from_json(parse_json_text(links_json, "build() links"), spec);
  } else if (is_dense(spec.family)) {
    links = draw_links(spec, init.seed);
  }
  check_memory(forward_bytes(spec, 1), "building this network");
  std::string bytes;
  {
    py::gil_scoped_release release;
    TorchStateGuard guard;
    const Network network = build_network(spec, links ? &*links : nullptr, init);
    bytes = model_bytes(spec, links ? &*links : nullptr, init, *network);
  }
  return py::bytes(bytes);
}

// ---- isometry -------------------------------------------------------------------------------

nlohmann::json error_json(const EstimateError& e) {
  return {{"method", e.method}, {"mean_se", e.mean_se}, {"std_se", e.std_se},
          {"mean_bound", e.mean_bound}, {"std_bound", e.std_bound}};
}

// The CLI's checks of options that apply to one kind of network only.
void check_isometry_options(IsometryCall& call, const Spec& spec) {
  const OptionTable& t = call.table;
  if (spec.family == Family::kMlp) {
    for (const char* flag : {"method", "lanczos-steps", "probes", "exact-max"})
      if (t.given(flag))
        throw SpecError(std::string("isometry(): ") + json_key(flag) +
                        " applies to convolutional networks only (the dense MLP's Jacobians are analytic)");
    return;
  }
  if (t.given("derivative"))
    throw SpecError("isometry(): derivative applies to mlp only (convolutional layers use ReLU)");
  cli::apply_conv_isometry_defaults(t, &call);
}

IsometryResult measure(NetworkImpl& network, const IsometryCall& call, const torch::Tensor& inputs) {
  if (auto* mlp = dynamic_cast<DenseMlpImpl*>(&network)) {
    IsometryOptions options;
    options.derivative = parse_derivative(call.derivative, "derivative");
    options.batch_size = call.batch_size;
    return measure_isometry(*mlp, inputs, options);
  }
  ConvIsometryOptions options;
  options.method = parse_jacobian_method(call.method, "method");
  options.steps = call.steps;
  options.probes = call.probes;
  options.exact_max_entries = call.exact_max;
  options.seed = call.seed.seed;
  options.batch_size = call.batch_size;
  return to_isometry_result(measure_conv_isometry(network, inputs, options));
}

std::string isometry(const std::string& spec_json, const std::string& keywords,
                     const std::optional<FloatArray>& array) {
  IsometryCall call;
  apply_keywords(call.table, keywords, "isometry()");
  if (array && call.table.given("data")) throw SpecError("isometry(): give data as a name or as an array, not both");
  Spec spec = call_spec(spec_json, call.spec, call.table, "isometry()");
  check_isometry_options(call, spec);
  const InitOptions init{parse_init(call.init, "init"), call.sigma, call.seed.seed};
  torch::Tensor inputs;
  std::string data_name = "arrays";
  if (array) {
    inputs = to_tensor(*array, "isometry() data");
    if (call.table.given("samples")) inputs = inputs.narrow(0, 0, std::min(call.samples, inputs.size(0)));
    if (adopts(call.spec, spec_json) && !call.table.given("input")) {  // the arrays' sample shape, as data's
      const std::vector<int64_t> sample(inputs.sizes().begin() + 1, inputs.sizes().end());
      spec.input = spec.family == Family::kMlp ? std::vector<int64_t>{inputs[0].numel()} : sample;
      validate(spec);
    }
    inputs = fit_inputs(inputs, spec.input, "isometry() data");
  }
  check_memory(isometry_bytes(spec, std::min(call.batch_size, array ? inputs.size(0) : call.samples)),
               "measuring LDI of this network with batch_size " + std::to_string(call.batch_size));
  nlohmann::json out;
  {
    py::gil_scoped_release release;
    TorchStateGuard guard;
    if (!array) {
      DataOptions data = call.data;
      data.limit_test = call.samples;
      data.need_train = false;  // only test images are used
      const DataSplit split = load_data(data);
      const bool adopt = adopts(call.spec, spec_json);
      spec = fit_spec_to_data(spec, split, adopt && !call.table.given("input"), adopt && !call.table.given("classes"));
      inputs = split.test.to_input(split.test.inputs);
      data_name = split.name;
    }
    set_torch_threads(choose_threads(call.threads, spec, static_cast<int>(call.batch_size)));
    std::optional<Links> links;
    if (is_dense(spec.family)) links = draw_links(spec, init.seed);
    const Network network = build_network(spec, links ? &*links : nullptr, init);
    const auto start = std::chrono::steady_clock::now();
    const IsometryResult r = measure(*network, call, inputs);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    nlohmann::json layers = nlohmann::json::array();
    for (const LayerIsometry& l : r.layers)
      layers.push_back({{"name", l.name}, {"rows", l.rows}, {"cols", l.cols}, {"mean", l.mean}, {"std", l.std},
                        {"count", l.count}, {"error", error_json(l.error)}});
    const bool mlp = spec.family == Family::kMlp;
    out = {{"spec", spec_to_json(spec)}, {"nn_mass", nn_mass(spec)}, {"seed", init.seed}, {"init", call.init},
           {"sigma", call.sigma}, {"data", data_name}, {"samples", inputs.size(0)},
           {"derivative", mlp ? nlohmann::json(call.derivative) : nlohmann::json()},
           {"conv_options", mlp ? nlohmann::json()
                                : nlohmann::json{{"method", call.method}, {"exact_max", call.exact_max},
                                                 {"lanczos_steps", call.steps}, {"probes", call.probes}}},
           {"mean", r.mean}, {"std", r.std}, {"count", r.count}, {"error", error_json(r.error)},
           {"seconds", seconds}, {"layers", layers}};
  }
  return out.dump();
}

// ---- score ----------------------------------------------------------------------------------

// The data a score call reads: the arrays, the data set named (Fashion-MNIST by default for a
// spec), or none (the CLI's rule: NAS-Bench-201 cells and TorchScript models default to no data).
std::optional<DataSplit> score_data(const ScoreCall& call, bool nb201_or_torchscript, std::optional<DataSplit> arrays) {
  const bool given = call.table.given("data") || arrays;
  if (call.no_data && given) throw SpecError("score(): no_data and data contradict each other");
  if (arrays && call.table.given("data")) throw SpecError("score(): give data as a name or as arrays, not both");
  if (arrays) return arrays;
  if (call.no_data || (!given && nb201_or_torchscript)) return std::nullopt;
  DataOptions data = call.data;
  data.need_train = true;
  return load_data(data);
}

py::dict record_dict(const RunRecord& r, const std::vector<std::string>& warnings) {
  py::dict out;
  out["nn_mass"] = r.nn_mass;
  out["density"] = r.density;
  out["params"] = r.params;
  out["macs"] = r.macs;
  out["flops"] = r.flops;
  py::dict proxies, seconds;
  for (const auto& [name, v] : r.proxies) proxies[py::str(name)] = v;
  for (const auto& [name, v] : r.proxy_seconds) seconds[py::str(name)] = v;
  out["proxies"] = proxies;
  out["seconds"] = seconds;
  out["data"] = r.data;
  out["warnings"] = warnings;
  return out;
}

// Scores one architecture (a spec, or the TorchScript file `torchscript`) at one seed the way
// `nnmass score` does, through a results database at `db` (a fresh file the caller removes).
py::dict score(const std::string& spec_json, const std::string& keywords, const std::string& torchscript,
               const std::string& db, const std::optional<FloatArray>& images,
               const std::optional<LabelArray>& labels) {
  ScoreCall call;
  apply_keywords(call.table, keywords, "score()");
  if (images.has_value() != labels.has_value()) throw SpecError("score(): data arrays come as a pair (inputs, labels)");
  ScoreConfig config;
  config.seeds = {call.seed.seed};
  config.init = parse_init(call.init, "init");
  config.sigma = call.sigma;
  config.proxies = proxy_options(call.proxies, call.batch, call.gaussian, call.zen_repeats, "proxies");
  config.jobs = 1;
  std::optional<Spec> spec;
  if (torchscript.empty()) {
    spec = call_spec(spec_json, call.spec, call.table, "score()");
  } else if (const std::string flag = cli::given_architecture_flag(call.table, {"input", "classes"}); !flag.empty()) {
    throw SpecError("score(): a torch model brings its own architecture; drop the keyword " + json_key(flag));
  }
  std::optional<DataSplit> arrays;
  if (images) arrays = arrays_split(*images, *labels);
  std::vector<std::string> warnings;
  RunRecord row;
  {
    py::gil_scoped_release release;
    TorchStateGuard guard;
    const bool from_arrays = arrays.has_value();
    std::optional<DataSplit> data = score_data(call, !spec || spec->family == Family::kNb201, std::move(arrays));
    if (spec) {
      // Arrays hold labels, not a class count: labels below the spec's classes fit it.
      if (from_arrays) data->classes = std::max<int64_t>(data->classes, spec->classes);
      const bool adopt = adopts(call.spec, spec_json) && data;
      config.specs = {data ? fit_spec_to_data(*spec, *data, adopt && !call.table.given("input"),
                                              adopt && !from_arrays && !call.table.given("classes"))
                           : *spec};
    } else {
      config.torchscripts = {torchscript};
      if (call.table.given("input")) {
        config.torchscript_input = parse_int_list(call.spec.input, ',', "input", 1, kMaxInputDim, 4);
        if (data && config.torchscript_input != data->shape)
          throw SpecError("score(): input does not match the samples of " + data->name +
                          "; drop input to use the data's");
      } else if (data) {
        config.torchscript_input = data->shape;
      } else {
        throw SpecError("score(): a torch model needs the shape of one sample: input_shape, example_input or data");
      }
    }
    set_torch_threads(call.threads);  // 0: one per core, as `nnmass score` with one job
    const std::vector<ScoreRun> runs = plan_scores(config, data ? &*data : nullptr);
    RunStore store(db);
    run_scores(runs, config, data ? &*data : nullptr, store, nullptr,
               [&warnings](const std::string& w) { warnings.push_back(w); });
    for (RunRecord& r : store.runs())
      if (r.key == runs.front().key) row = std::move(r);
  }
  return record_dict(row, warnings);
}

// ---- TorchScript summary, proxies, model files ----------------------------------------------

std::string summarize(const std::string& path, const std::string& keywords) {
  SummarizeCall call;
  apply_keywords(call.table, keywords, "summarize()");
  if (!call.table.given("input"))
    throw SpecError("summarize(): give input_shape (one sample, e.g. [3, 224, 224]) or example_input");
  const std::vector<int64_t> input = parse_int_list(call.input, ',', "input_shape", 1, kMaxInputDim, 4);
  py::gil_scoped_release release;
  TorchStateGuard guard;
  set_torch_threads(call.threads);
  const TorchScriptSummary s = summarize_torchscript(path, input);
  const std::vector<MassTerm> terms = graph_mass_terms(s.graph);
  double mass = 0, density = 0;
  nlohmann::json term_rows = nlohmann::json::array();
  for (const MassTerm& t : terms) {
    mass += t.mass;
    density += t.density / static_cast<double>(terms.size());
    term_rows.push_back({{"label", t.label}, {"volume", t.volume}, {"links", t.links},
                         {"possible", t.possible}, {"density", t.density}, {"mass", t.mass}});
  }
  return nlohmann::json{{"nn_mass", mass}, {"average_density", density}, {"params", s.params}, {"macs", s.macs},
                        {"flops", s.flops}, {"convs", s.convs}, {"linears", s.linears}, {"classes", s.classes},
                        {"input", input}, {"terms", term_rows}}
      .dump();
}

std::string proxy_catalogue_json() {
  nlohmann::json rows = nlohmann::json::array();
  for (const ProxyInfo& p : proxy_catalogue())
    rows.push_back({{"name", p.name}, {"paper", p.paper}, {"bn", p.bn}, {"input", p.input},
                    {"precision", p.precision}, {"summary", p.summary}, {"needs_data", p.needs_data},
                    {"batches", p.batches}, {"direction", p.direction}});
  return rows.dump();
}

// libtorch's own errors (c10::Error) carry a backtrace after their first line: one line, RuntimeError.
void register_torch_errors() {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const c10::Error& e) {
      const std::string what = e.what();
      PyErr_SetString(PyExc_RuntimeError, what.substr(0, what.find('\n')).c_str());
    }
  });
}

}  // namespace

void bind_torch(py::module_& m) {
  register_torch_errors();
  m.def("build", &build_model, py::arg("spec_json"), py::arg("keywords"), py::arg("links_json"),
        "A runnable TorchScript archive (bytes) of the network: torch.jit.load(io.BytesIO(bytes)).");
  m.def("model_spec", [](const std::string& path) {
    py::gil_scoped_release release;
    return spec_to_json(read_model_spec(path)).dump();
  }, py::arg("path"), "The spec JSON of an nnmass model file (IoError if it is none).");
  m.def("isometry", &isometry, py::arg("spec_json"), py::arg("keywords"), py::arg("inputs"),
        "Layer-wise dynamical isometry at initialization, as JSON text.");
  m.def("score", &score, py::arg("spec_json"), py::arg("keywords"), py::arg("torchscript"), py::arg("db"),
        py::arg("images"), py::arg("labels"), "Zero-cost proxies and NN-Mass of one architecture at one seed.");
  m.def("summarize", &summarize, py::arg("path"), py::arg("keywords"),
        "Counts and NN-Mass of a TorchScript file, as JSON text.");
  m.def("proxy_catalogue", &proxy_catalogue_json, "The zero-cost proxies and how each is computed, as JSON text.");
}

}  // namespace nnmass::python
