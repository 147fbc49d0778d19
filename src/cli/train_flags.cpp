// Data and recipe flags shared by train and sweep; see train_flags.h.
#include "cli/train_flags.h"

#include "nnmass/cost.h"

namespace nnmass::cli {

void add_data_flags(CLI::App* cmd, DataOptions* data) {
  const std::string d = "Data";
  cmd->add_option("--data", data->source,
                  "A folder with MNIST-format IDX files or CIFAR-10/100 binary files, or linear | "
                  "circle (synthetic) [default: Fashion-MNIST in /usr/share/datasets/fashion-mnist]")->group(d);
  cmd->add_option("--limit-train", data->limit_train, "Use only the first N training samples (0: all)")
      ->group(d)->capture_default_str();
  cmd->add_option("--limit-test", data->limit_test, "Use only the first N test samples (0: all)")
      ->group(d)->capture_default_str();
  cmd->add_option("--num-seg", data->num_seg, "Synthetic sets: label segments")->group(d)->capture_default_str();
}

void add_recipe_flags(CLI::App* cmd, TrainOptions* train, bool* no_augment) {
  const std::string r = "Training";
  TrainOptions& t = *train;
  cmd->add_option("--epochs", t.epochs, "Epochs")->group(r)->capture_default_str();
  cmd->add_option("--optimizer", t.optimizer, "adam | sgd [default: adam; sgd on CIFAR]")->group(r);
  cmd->add_option("--lr", t.lr, "Learning rate [default: 1e-3 adam, 0.1 sgd]")->group(r);
  cmd->add_option("--momentum", t.momentum, "SGD momentum")->group(r)->capture_default_str();
  cmd->add_flag("--nesterov", t.nesterov, "SGD with Nesterov momentum")->group(r);
  cmd->add_option("--weight-decay", t.weight_decay, "L2 weight decay [default: 0; 5e-4 sgd on CIFAR]")->group(r);
  cmd->add_option("--schedule", t.schedule, "constant | step | cosine [default: constant; cosine on CIFAR]")->group(r);
  cmd->add_option("--step-size", t.step_size, "step schedule: epochs between decays")->group(r)->capture_default_str();
  cmd->add_option("--gamma", t.gamma, "step schedule: decay factor")->group(r)->capture_default_str();
  cmd->add_option("--batch-size", t.batch_size, "Batch size [default: 100; 128 on CIFAR]")->group(r);
  cmd->add_flag("--no-augment", *no_augment, "No random crop + flip on CIFAR")->group(r);
}

void apply_recipe_defaults(const DataSplit& data, const CLI::App& cmd, TrainOptions* t, bool no_augment) {
  const bool cifar = data.augment_crop_flip;
  if (!cmd.count("--optimizer")) t->optimizer = cifar ? "sgd" : "adam";
  if (!cmd.count("--lr")) t->lr = t->optimizer == "sgd" ? 0.1 : 1e-3;
  if (!cmd.count("--weight-decay")) t->weight_decay = t->optimizer == "sgd" && cifar ? 5e-4 : 0.0;
  if (!cmd.count("--schedule")) t->schedule = cifar ? "cosine" : "constant";
  if (!cmd.count("--batch-size")) t->batch_size = cifar ? 128 : 100;
  t->augment = cifar && !no_augment;
}

// --threads 0: one thread for small models, one per core otherwise. A w8 d32 MLP trains as fast
// on one thread as on two on an idle machine, and ~4x faster when the other core is busy (OpenMP
// threads spin-wait for each other), so small models never ask for more than one.
int choose_threads(int requested, const Spec& spec, int batch_size) {
  constexpr double kSmallBatchMacs = 5e7;
  if (requested > 0) return requested;
  return static_cast<double>(count_cost(spec).macs) * batch_size < kSmallBatchMacs ? 1 : 0;
}

}  // namespace nnmass::cli
