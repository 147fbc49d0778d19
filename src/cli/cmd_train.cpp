// `nnmass train`: builds one architecture, trains it on a data set (Fashion-MNIST by default)
// and prints the final test accuracy with NN-Mass, #params and FLOPs on one line. With --out,
// writes the spec, the links, per-epoch metrics (JSON lines), a checkpoint each epoch (--resume
// continues from it), the final model and a result.json.
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/data_fit.h"
#include "cli/train_flags.h"
#include "cli/spec_options.h"
#include "nnmass/cost.h"
#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/mass.h"
#include "nnmass/spec_json.h"
#include "nnmass/table.h"
#include "nnmass/train/progress.h"
#include "nnmass/train/trainer.h"

namespace nnmass::cli {
namespace {

struct TrainCliOptions {
  SpecFlags spec;
  DataOptions data;
  TrainOptions train;
  std::string init = "default";
  double sigma = 1.0;
  int threads = 0;
  std::string out;
  bool no_augment = false;
};

void write_outputs(const std::string& dir, const Spec& spec, const std::optional<Links>& links) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError("cannot create output folder " + dir + ": " + ec.message());
  write_file_atomic(dir + "/spec.json", spec_to_json(spec).dump(2) + "\n");
  if (links) write_file_atomic(dir + "/links.json", links_to_json(*links).dump() + "\n");
}

void run_train(TrainCliOptions& opt, const CLI::App& cmd) {
  const std::vector<Spec> specs = specs_from_flags(opt.spec, cmd);
  if (specs.size() != 1)
    throw SpecError("train takes one architecture, the flags describe " + std::to_string(specs.size()) +
                    "; use nnmass sweep for grids");
  opt.data.seed = opt.train.seed;
  const DataSplit data = load_data(opt.data);
  const Spec spec = fit_spec_to_data(specs.front(), data, opt.spec, cmd);
  apply_recipe_defaults(data, cmd, &opt.train, opt.no_augment);
  set_torch_threads(choose_threads(opt.threads, spec, opt.train.batch_size));
  InitOptions init{parse_init(opt.init, "--init"), opt.sigma, opt.train.seed};
  std::optional<Links> links;
  if (is_dense(spec.family)) links = draw_links(spec, init.seed);
  if (!opt.out.empty()) {
    write_outputs(opt.out, spec, links);
    opt.train.checkpoint = opt.out + "/checkpoint.pt";
    opt.train.metrics_log = opt.out + "/metrics.jsonl";
  }
  validate(opt.train);
  const Network network = build_network(spec, links ? &*links : nullptr, init);
  const nlohmann::json identity = {{"spec", spec_to_json(spec)},
                                   {"links", links ? links_to_json(*links) : nlohmann::json()},
                                   {"init", to_string(init.kind)}, {"sigma", init.sigma}, {"data", data.name}};
  TerminalProgress progress;
  const TrainResult result = train(*network, data, opt.train, identity, &progress);

  const Cost cost = count_cost(spec);
  const double mass = nn_mass(spec);
  if (!opt.out.empty()) {
    network->to(torch::kCPU);
    save_model(opt.out + "/model.pt", spec, links ? &*links : nullptr, init, *network);
    const nlohmann::json summary = {
        {"test_acc", result.test.accuracy}, {"test_loss", result.test.loss}, {"nn_mass", mass},
        {"average_density", average_density(spec)}, {"params", cost.params}, {"macs", cost.macs},
        {"flops", cost.flops}, {"epochs", opt.train.epochs}, {"train_seconds", result.seconds},
        {"data", data.name}, {"recipe", recipe_json(opt.train)}, {"spec", spec_to_json(spec)},
        {"nnmass_version", NNMASS_VERSION}};
    write_file_atomic(opt.out + "/result.json", summary.dump(2) + "\n");
  }
  std::cout << "test accuracy " << fixed(100 * result.test.accuracy, 2) << " %  loss "
            << fixed(result.test.loss, 4) << "  NN-Mass " << fixed(mass, 3) << "  params "
            << group_digits(cost.params) << "  FLOPs " << group_digits(cost.flops) << "  (" << data.name
            << ", " << opt.train.epochs << " epochs, " << fixed(result.seconds, 1) << " s"
            << (result.resumed_epochs ? ", " + std::to_string(result.resumed_epochs) + " resumed" : "") << ")\n";
  if (!opt.out.empty()) std::cout << "outputs in " << opt.out << "/ (result.json, metrics.jsonl, model.pt)\n";
}

}  // namespace

void register_train(CLI::App& app) {
  auto opt = std::make_shared<TrainCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Train one architecture on real data (Fashion-MNIST by default).\n"
      "Reports its test accuracy beside its NN-Mass,\n"
      "#params and FLOPs. Defaults follow the official recipes: Adam 1e-3, batch 100 on\n"
      "MNIST-like data; SGD 0.1 (momentum 0.9, wd 5e-4, cosine), batch 128, crop + flip on CIFAR.\n"
      "Examples:\n"
      "  nnmass train --family mlp --width 8 --depth 20 --tc 8 --epochs 5\n"
      "  nnmass train --family cnn --depth 6 --width 16:32:64 --tc 8:16:32 --data cifar-10-batches-bin\n"
      "  nnmass train --family mlp --width 8 --depth 16 --tc 4 --data circle --epochs 200 --out runs/c");
  add_spec_flags(cmd, &opt->spec);
  add_data_flags(cmd, &opt->data);
  add_recipe_flags(cmd, &opt->train, &opt->no_augment);
  cmd->add_option("--seed", opt->train.seed, "Seed of links, weights, shuffling and augmentation")
      ->group("Training")->capture_default_str();
  cmd->add_option("--init", opt->init, "default | gaussian | orthogonal")->group("Training")->capture_default_str();
  cmd->add_option("--sigma", opt->sigma, "Gaussian std / orthogonal gain")->group("Training")->capture_default_str();
  const std::string x = "Execution and output";
  cmd->add_option("--threads", opt->threads, "Torch threads (0: 1 for small models, else one per core)")->group(x)->capture_default_str();
  cmd->add_option("--device", opt->train.device, "cpu | cuda")->group(x)->capture_default_str();
  cmd->add_option("--out", opt->out, "Folder for spec.json, links.json, metrics.jsonl, checkpoint.pt, model.pt, result.json")
      ->group(x);
  cmd->add_flag("--resume", opt->train.resume, "Continue from --out's checkpoint (same flags: same result)")->group(x);
  cmd->callback([opt, cmd] { run_train(*opt, *cmd); });
}

}  // namespace nnmass::cli
