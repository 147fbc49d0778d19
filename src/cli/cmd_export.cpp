// `nnmass export`: writes an architecture (built from flags, or a saved model) as a runnable
// TorchScript file that PyTorch loads with torch.jit.load, then checks the written file: loaded
// back through torch::jit::load, it must compute what nnmass's own forward computes, in eval and in
// training mode. --sample also writes the batch and nnmass's outputs, for checking the file in
// another runtime (tests/python/export_test.py does so in Python).
#include <iostream>

#include <torch/script.h>

#include "cli/commands.h"
#include "cli/common_flags.h"
#include "cli/model_flags.h"
#include "cli/option_flags.h"
#include "cli/spec_options.h"
#include "nnmass/cost.h"
#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/mass.h"
#include "nnmass/memory.h"
#include "nnmass/nn/network.h"
#include "nnmass/spec_json.h"
#include "nnmass/table.h"

namespace nnmass::cli {
namespace {

// Differences above this are a bug of the export (the two forwards run the same kernels).
constexpr double kTolerance = 1e-6;

struct ExportOptions {
  OptionTable table;
  SpecFlags spec;
  std::string load;        // --load MODEL: export a saved model (any format version)
  std::string links_file;  // --links FILE
  std::string init = "default";
  double sigma = 1.0;
  SeedFlags seed;
  std::string out;         // --out PATH
  std::string mode = "eval";
  std::string sample;      // --sample PATH
  int batch_size = 2;  // training-mode BatchNorm needs two samples
  int threads = 0;
  bool json = false;
};

ModelFlags model_flags(const ExportOptions& opt) { return {opt.load, opt.links_file, opt.init, opt.sigma, opt.seed.seed}; }

Spec checked_spec(const ExportOptions& opt) {
  if (opt.out.empty()) throw SpecError("--out is required: the file to write the TorchScript model to");
  if (opt.mode != "eval" && opt.mode != "train")
    throw SpecError("--mode must be eval or train, got \"" + opt.mode + "\"");
  const Spec spec = one_spec(opt.spec, opt.table, model_flags(opt), "export");
  check_output_file(opt.out, "--out");
  if (!opt.sample.empty()) check_output_file(opt.sample, "--sample");
  // The model, its copy in TorchScript, and two forward passes of the check batch.
  check_memory(2 * forward_bytes(spec, opt.batch_size), "exporting this network and checking it on --batch-size " +
                                                            std::to_string(opt.batch_size));
  return spec;
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

// nnmass's forward and the written file's, on one batch in both modes (eval first: training mode
// moves the running statistics). Returns the largest differences; `outputs` gets nnmass's outputs.
struct CheckResult {
  double eval_diff = 0, train_diff = 0;
  torch::Tensor input, output_eval, output_train;
};

CheckResult check_file(const ExportOptions& opt, NetworkImpl& network, const Spec& spec) {
  torch::NoGradGuard no_grad;
  torch::jit::Module loaded = torch::jit::load(opt.out);
  CheckResult r;
  std::vector<int64_t> shape = {opt.batch_size};
  shape.insert(shape.end(), spec.input.begin(), spec.input.end());
  torch::manual_seed(opt.seed.seed + 1);
  r.input = torch::randn(shape);
  network.eval();
  loaded.eval();
  r.output_eval = network.forward(r.input);
  r.eval_diff = max_abs_diff(loaded.forward({r.input}).toTensor(), r.output_eval);
  network.train();
  loaded.train();
  r.output_train = network.forward(r.input);
  r.train_diff = max_abs_diff(loaded.forward({r.input}).toTensor(), r.output_train);
  return r;
}

void write_sample(const std::string& path, const CheckResult& r) {
  torch::jit::Module sample("__torch__.nnmass.ExportSample");
  sample.register_buffer("input", r.input);
  sample.register_buffer("output_eval", r.output_eval);
  sample.register_buffer("output_train", r.output_train);
  std::ostringstream bytes;
  sample.save(bytes);
  write_file_atomic(path, bytes.str());
}

void run_export(const ExportOptions& opt) {
  const Spec checked = checked_spec(opt);
  set_torch_threads(choose_threads(opt.threads, checked, opt.batch_size));
  LoadedModel model = model_from_flags(checked, model_flags(opt));
  NetworkImpl& network = *model.network;
  network.train(opt.mode == "train");
  save_model(opt.out, model.spec, model.links ? &*model.links : nullptr, model.init, network);
  const CheckResult check = check_file(opt, network, model.spec);
  if (!opt.sample.empty()) write_sample(opt.sample, check);
  const bool ok = check.eval_diff <= kTolerance && check.train_diff <= kTolerance;
  if (opt.json) {
    const Cost cost = count_cost(model.spec);
    std::cout << nlohmann::json{{"out", opt.out},
                                {"mode", opt.mode},
                                {"spec", spec_to_json(model.spec)},
                                {"nn_mass", nn_mass(model.spec)},
                                {"params", cost.params},
                                {"macs", cost.macs},
                                {"flops", cost.flops},
                                {"check", {{"batch_size", opt.batch_size},
                                           {"eval_max_abs_diff", check.eval_diff},
                                           {"train_max_abs_diff", check.train_diff},
                                           {"tolerance", kTolerance},
                                           {"ok", ok}}},
                                {"sample", opt.sample.empty() ? nlohmann::json() : nlohmann::json(opt.sample)}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "wrote       " << opt.out << " (TorchScript, " << opt.mode << " mode; Python: torch.jit.load(\""
              << opt.out << "\"))\n"
              << "check       torch::jit::load(file) vs nnmass on a batch of " << opt.batch_size
              << ": max |diff| " << check.eval_diff << " (eval), " << check.train_diff << " (train)\n";
    if (!opt.sample.empty()) std::cout << "sample      " << opt.sample << " (input, output_eval, output_train)\n";
  }
  if (!ok) throw Error("internal error: the exported model differs from nnmass's forward; please report this");
}

}  // namespace

void register_export(CLI::App& app) {
  auto opt = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write an architecture as a runnable TorchScript model for PyTorch.\n"
      "Builds it from the flags (or reads a saved model with --load), writes it to --out and checks\n"
      "the written file against nnmass's own forward in eval and training mode. In Python:\n"
      "  model = torch.jit.load(\"model.pt\"); logits = model(x)\n"
      "The file keeps nnmass's module names and state_dict keys, BatchNorm state and the links, and\n"
      "the attributes nnmass_spec, nnmass_links, nnmass_init (JSON text). Model files written by\n"
      "build --save and train --out are the same kind of file.\n"
      "Examples:\n"
      "  nnmass export --example cifar_dwcnn --out dwcnn.pt\n"
      "  nnmass export --load runs/t1/model.pt --out trained.pt --sample check.pt\n"
      "  nnmass export --arch resnet18 --classes 10 --input 3,32,32 --stem cifar --out r18.pt");
  OptionTable& t = opt->table;
  add_spec_flags(t, &opt->spec);
  t.group("Export");
  add_seed_option(t, &opt->seed);
  add_init_options(t, &opt->init, &opt->sigma);
  t.add("links", &opt->links_file, "Use the links in this JSON file instead of drawing them").families = {"mlp", "cnn", "dwcnn"};
  t.add("load", &opt->load, "Export a saved model file (build --save, train --out) instead of building one");
  t.add("mode", &opt->mode, "Mode the model is saved in: eval (BatchNorm on running statistics) or train");
  t.add("batch-size", &opt->batch_size, 2, 1 << 16, "Samples in the check batch (training-mode BatchNorm needs 2)");
  add_threads_option(t, &opt->threads);
  t.group("Output");
  t.add("out", &opt->out, "Write the TorchScript model to this file (required)");
  t.add("sample", &opt->sample, "Also write the check batch and nnmass's outputs (TorchScript attributes input, "
                                "output_eval, output_train) to this file");
  add_json_option(t, &opt->json);
  add_flags(cmd, t);
  cmd->callback([opt] { run_export(*opt); });
}

}  // namespace nnmass::cli
