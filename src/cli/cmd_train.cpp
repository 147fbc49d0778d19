// `nnmass train`: builds one architecture, trains it on a data set (Fashion-MNIST by default, or
// an image folder streamed from disk) and prints the final test accuracy with NN-Mass, #params and
// FLOPs on one line. With --out, writes the spec, the links, per-epoch metrics (JSON lines), a
// checkpoint each epoch (--resume continues from it), the final model and a result.json.
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/common_flags.h"
#include "cli/option_flags.h"
#include "cli/spec_options.h"
#include "nnmass/data/image_loader.h"
#include "nnmass/memory.h"
#include "nnmass/train/recipe.h"
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
  OptionTable table;
  SpecFlags spec;
  DataOptions data;
  TrainOptions train;
  SeedFlags seed;
  std::string init = "default";
  double sigma = 1.0;
  int threads = 0;
  std::string out;
  bool no_augment = false;
  bool json = false;
};

void write_outputs(const std::string& dir, const Spec& spec, const std::optional<Links>& links) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError("--out: cannot create folder " + dir + ": " + ec.message());
  write_file_atomic(dir + "/spec.json", spec_to_json(spec).dump(2) + "\n");
  if (links) write_file_atomic(dir + "/links.json", links_to_json(*links).dump() + "\n");
}

nlohmann::json result_json(const Spec& spec, const TrainResult& result, const TrainOptions& train,
                           const std::string& data) {
  const Cost cost = count_cost(spec);
  nlohmann::json history = nlohmann::json::array();
  for (const EpochMetrics& m : result.history) history.push_back(to_json(m));
  return {{"test_acc", result.test.accuracy}, {"test_loss", result.test.loss}, {"nn_mass", nn_mass(spec)},
          {"average_density", average_density(spec)}, {"params", cost.params}, {"macs", cost.macs},
          {"flops", cost.flops}, {"epochs", train.epochs}, {"train_seconds", result.seconds},
          {"resumed_epochs", result.resumed_epochs}, {"data", data}, {"recipe", recipe_json(train)},
          {"spec", spec_to_json(spec)}, {"history", history}, {"nnmass_version", NNMASS_VERSION}};
}

// Everything checked before the data is read or a file is written.
Spec checked_spec(TrainCliOptions& opt) {
  const std::vector<Spec> specs = specs_from_flags(opt.spec, opt.table);
  if (specs.size() != 1)
    throw SpecError("train takes one architecture, the flags describe " + std::to_string(specs.size()) +
                    "; use nnmass sweep for grids");
  if (opt.train.resume && opt.out.empty()) throw SpecError("--resume continues from --out's checkpoint; give --out");
  validate(opt.train);
  if (!opt.out.empty()) check_output_dir(opt.out, "--out");
  return specs.front();
}

void run_train(TrainCliOptions& opt) {
  const Spec flag_spec = checked_spec(opt);
  opt.train.seed = opt.seed.seed;
  opt.data.seed = opt.train.seed;
  opt.data.stream_images = true;
  const DataSplit data = load_data(opt.data);
  const bool fixed_input = opt.table.given("input") || !opt.spec.spec_file.empty() || !opt.spec.example.empty();
  if (data.image_folder && fixed_input) check_image_input(*data.image_folder, flag_spec.input);  // names --image-size
  const Spec spec = fit_spec_to_data(flag_spec, data, !fixed_input,
                                     !opt.table.given("classes") && opt.spec.spec_file.empty() && opt.spec.example.empty());
  apply_official_recipe(data, opt.table, opt.no_augment, &opt.train);
  validate(opt.train);
  check_memory(training_bytes(spec, opt.train.batch_size) +
                   (data.image_folder ? image_loader_bytes(*data.image_folder, opt.train.batch_size) : 0),
               "training this network with --batch-size " + std::to_string(opt.train.batch_size) +
                   (data.image_folder ? " and its loader's batches in flight" : ""));
  set_torch_threads(choose_threads(opt.threads, spec, opt.train.batch_size));
  InitOptions init{parse_init(opt.init, "--init"), opt.sigma, opt.train.seed};
  std::optional<Links> links;
  if (is_dense(spec.family)) links = draw_links(spec, init.seed);
  if (!opt.out.empty()) {
    write_outputs(opt.out, spec, links);
    opt.train.checkpoint = opt.out + "/checkpoint.pt";
    opt.train.metrics_log = opt.out + "/metrics.jsonl";
  }
  const Network network = build_network(spec, links ? &*links : nullptr, init);
  const nlohmann::json identity = {{"spec", spec_to_json(spec)},
                                   {"links", links ? links_to_json(*links) : nlohmann::json()},
                                   {"init", to_string(init.kind)}, {"sigma", init.sigma}, {"data", data.name}};
  TerminalProgress progress;
  const TrainResult result = train(*network, data, opt.train, identity, &progress);  // progress: stderr

  const nlohmann::json summary = result_json(spec, result, opt.train, data.name);
  if (!opt.out.empty()) {
    network->to(torch::kCPU);
    network->eval();  // a trained model is saved ready for inference (torch.jit.load(path)(x))
    save_model(opt.out + "/model.pt", spec, links ? &*links : nullptr, init, *network);
    write_file_atomic(opt.out + "/result.json", summary.dump(2) + "\n");
  }
  if (opt.json) {
    std::cout << summary.dump(2) << "\n";
    return;
  }
  const Cost cost = count_cost(spec);
  std::cout << "test accuracy " << fixed(100 * result.test.accuracy, 2) << " %  loss "
            << fixed(result.test.loss, 4) << "  NN-Mass " << fixed(nn_mass(spec), 3) << "  params "
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
      "MNIST-like data; SGD 0.1 (momentum 0.9, wd 5e-4, cosine), batch 128, crop + flip on CIFAR\n"
      "and image folders (ROOT/train/<class>/*.jpg|*.png + ROOT/val/<class>/..., streamed).\n"
      "Examples:\n"
      "  nnmass train --family mlp --width 8 --depth 20 --tc 8 --epochs 5\n"
      "  nnmass train --family cnn --depth 6 --width 16:32:64 --tc 8:16:32 --data cifar-10-batches-bin\n"
      "  nnmass train --family mlp --width 8 --depth 16 --tc 4 --data circle --epochs 200 --out runs/c\n"
      "  nnmass train --arch resnet18 --data imagenet --epochs 90 --weight-decay 1e-4 --batch-size 256");
  OptionTable& t = opt->table;
  add_spec_flags(t, &opt->spec);
  add_data_options(t, &opt->data);
  add_image_folder_options(t, &opt->data);
  add_recipe_options(t, &opt->train, &opt->no_augment);
  add_seed_option(t, &opt->seed);
  add_init_options(t, &opt->init, &opt->sigma);
  t.group("Execution and output");
  add_threads_option(t, &opt->threads);
  t.add("device", &opt->train.device, "Where to train (cuda needs a CUDA build of libtorch)", {"cpu", "cuda"});
  t.add("out", &opt->out, "Folder for spec.json, links.json, metrics.jsonl, checkpoint.pt, model.pt, result.json");
  t.add_flag("resume", &opt->train.resume, "Continue from --out's checkpoint (same flags: same result)");
  add_json_option(t, &opt->json);
  add_flags(cmd, t);
  cmd->callback([opt] { run_train(*opt); });
}

}  // namespace nnmass::cli
