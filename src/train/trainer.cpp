// The training loop (method spec §4), its checkpoints and its evaluation.
#include "nnmass/train/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "nn/archive_io.h"
#include "nnmass/data/batch_source.h"
#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/train/flat_optimizer.h"

namespace nnmass {
namespace {

constexpr const char* kCheckpointFormat = "nnmass-checkpoint";
constexpr int64_t kCheckpointVersion = 1;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

torch::Device parse_device(const std::string& device) {
  if (device == "cpu") return torch::kCPU;
  if (device == "cuda") {
    if (!torch::cuda::is_available())
      throw SpecError("--device cuda: this libtorch has no CUDA support or sees no GPU (Debian's "
                      "libtorch is CPU-only); use --device cpu");
    return torch::kCUDA;
  }
  throw SpecError("device must be cpu or cuda, got \"" + device + "\"");
}

// Numbers in messages as a user would type them: 1e+06, 0.001, nan.
std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

void save_checkpoint(const std::string& path, NetworkImpl& network, const FlatOptimizer& optimizer,
                     const std::vector<EpochMetrics>& history, const nlohmann::json& identity,
                     const nlohmann::json& recipe) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& m : history) epochs.push_back(to_json(m));
  torch::serialize::OutputArchive archive, model, optim;
  archive.write("nnmass_format", c10::IValue(std::string(kCheckpointFormat)));
  archive.write("nnmass_format_version", c10::IValue(kCheckpointVersion));
  archive.write("nnmass_tool_version", c10::IValue(std::string(NNMASS_VERSION)));
  archive.write("identity", c10::IValue(identity.dump()));
  archive.write("recipe", c10::IValue(recipe.dump()));
  archive.write("history", c10::IValue(epochs.dump()));
  network.save(model);
  optimizer.save(optim);
  archive.write("model", model);
  archive.write("optimizer", optim);
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_file_atomic(path, bytes.str());
}

std::string read_string(torch::serialize::InputArchive& archive, const char* key, const std::string& path) {
  return detail::read_archive_string(archive, key, path, "an nnmass checkpoint");
}

EpochMetrics metrics_from_json(const nlohmann::json& j) {
  EpochMetrics m;
  m.epoch = j.at("epoch");
  m.lr = j.at("lr");
  m.train_loss = j.at("train_loss");
  m.train_acc = j.at("train_acc");
  m.test_loss = j.at("test_loss");
  m.test_acc = j.at("test_acc");
  m.seconds = j.at("seconds");
  m.images_per_second = j.at("images_per_second");
  return m;
}

// A checkpoint read from disk and checked against the model and recipe of this run.
struct Checkpoint {
  std::vector<EpochMetrics> history;
  torch::serialize::InputArchive model, optimizer;
};

// Reads a checkpoint; refuses one of another model or recipe.
Checkpoint load_checkpoint(const std::string& path, const nlohmann::json& identity, const nlohmann::json& recipe) {
  torch::serialize::InputArchive archive;
  Checkpoint checkpoint;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw IoError(path + ": not a readable checkpoint (" + detail::first_line(e) + "); delete it to start afresh");
  }
  if (read_string(archive, "nnmass_format", path) != kCheckpointFormat)
    throw IoError(path + ": not an nnmass checkpoint");
  if (nlohmann::json::parse(read_string(archive, "identity", path)) != identity)
    throw IoError(path + ": the checkpoint is of another architecture or topology; use another --out or delete it");
  if (nlohmann::json::parse(read_string(archive, "recipe", path)) != recipe)
    throw IoError(path + ": the checkpoint was made with another training recipe; use the same flags, another --out, or delete it");
  try {
    for (const auto& j : nlohmann::json::parse(read_string(archive, "history", path)))
      checkpoint.history.push_back(metrics_from_json(j));
    archive.read("model", checkpoint.model);
    archive.read("optimizer", checkpoint.optimizer);
  } catch (const c10::Error& e) {
    throw IoError(path + ": corrupt checkpoint (" + detail::first_line(e) + "); delete it to start afresh");
  } catch (const nlohmann::json::exception& e) {
    throw IoError(path + ": corrupt checkpoint history; delete it to start afresh");
  }
  return checkpoint;
}

// Restores a component from a checkpoint, turning libtorch's errors into one line.
template <typename Loadable>
void restore(Loadable& target, torch::serialize::InputArchive& archive, const std::string& path) {
  try {
    target.load(archive);
  } catch (const c10::Error& e) {
    throw IoError(path + ": corrupt checkpoint (" + detail::first_line(e) + "); delete it to start afresh");
  }
}

void write_metrics(const std::string& path, const std::vector<EpochMetrics>& history) {
  std::string text;
  for (const auto& m : history) text += to_json(m).dump() + "\n";
  write_file_atomic(path, text);  // rewritten whole: a resumed run never duplicates an epoch
}

}  // namespace

void validate(const TrainOptions& o) {
  const auto fail = [](const std::string& m) { throw SpecError(m); };
  if (o.optimizer != "adam" && o.optimizer != "sgd") fail("--optimizer must be adam or sgd, got \"" + o.optimizer + "\"");
  if (!(o.lr > 0) || !std::isfinite(o.lr)) fail("--lr must be positive, got " + number(o.lr));
  if (o.momentum < 0 || !std::isfinite(o.momentum)) fail("--momentum must be zero or positive, got " + number(o.momentum));
  if (o.nesterov && (o.optimizer != "sgd" || o.momentum <= 0)) fail("--nesterov needs --optimizer sgd and --momentum > 0");
  if (o.weight_decay < 0 || !std::isfinite(o.weight_decay)) fail("--weight-decay must be zero or positive, got " + number(o.weight_decay));
  if (o.schedule != "constant" && o.schedule != "step" && o.schedule != "cosine")
    fail("--schedule must be constant, step or cosine, got \"" + o.schedule + "\"");
  if (o.step_size < 1) fail("--step-size must be at least 1 epoch, got " + std::to_string(o.step_size));
  if (!(o.gamma > 0)) fail("--gamma must be positive, got " + number(o.gamma));
  if (o.epochs < 1) fail("--epochs must be at least 1, got " + std::to_string(o.epochs));
  if (o.batch_size < 1) fail("--batch-size must be at least 1, got " + std::to_string(o.batch_size));
  if (o.eval_batch_size < 1) fail("evaluation batch size must be at least 1");
  if (o.resume && o.checkpoint.empty()) fail("--resume needs a checkpoint (give --out)");
  parse_device(o.device);
}

std::string divergence_message(double loss, int epoch, int64_t batch, double lr) {
  return "training diverged: the loss is " + number(loss) + " at epoch " + std::to_string(epoch + 1) + ", batch " +
         std::to_string(batch + 1) + "; lower the learning rate (--lr " + number(lr) + ")";
}

nlohmann::json recipe_json(const TrainOptions& o) {
  return {{"optimizer", o.optimizer}, {"lr", o.lr},           {"momentum", o.momentum},
          {"nesterov", o.nesterov},   {"weight_decay", o.weight_decay}, {"schedule", o.schedule},
          {"step_size", o.step_size}, {"gamma", o.gamma},     {"epochs", o.epochs},
          {"batch_size", o.batch_size}, {"seed", o.seed},     {"augment", o.augment}};
}

nlohmann::json to_json(const EpochMetrics& m) {
  return {{"epoch", m.epoch},         {"lr", m.lr},
          {"train_loss", m.train_loss}, {"train_acc", m.train_acc},
          {"test_loss", m.test_loss},   {"test_acc", m.test_acc},
          {"seconds", m.seconds},       {"images_per_second", m.images_per_second}};
}

double scheduled_lr(const TrainOptions& o, int epoch) {
  if (o.schedule == "step") return o.lr * std::pow(o.gamma, epoch / o.step_size);
  if (o.schedule == "cosine") return o.lr * 0.5 * (1.0 + std::cos(M_PI * epoch / o.epochs));  // eta_min 0
  return o.lr;
}

Evaluation evaluate(NetworkImpl& network, BatchStream& batches) {
  torch::NoGradGuard no_grad;
  network.eval();
  double loss_sum = 0;
  int64_t correct = 0, n = 0;
  while (const std::optional<Batch> batch = batches.next()) {
    const torch::Tensor logits = network.forward(batch->x);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, batch->y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .item<double>();
    correct += logits.argmax(1).eq(batch->y).sum().item<int64_t>();
    n += batch->y.size(0);
  }
  return {loss_sum / n, static_cast<double>(correct) / n};
}

Evaluation evaluate(NetworkImpl& network, const Dataset& data, int batch_size, const torch::Device& device) {
  return evaluate(network, *memory_batches(data, batch_size, device));
}

TrainResult train(NetworkImpl& network, const DataSplit& data, const TrainOptions& opt,
                  const nlohmann::json& identity, ProgressSink* progress) {
  validate(opt);
  const torch::Device device = parse_device(opt.device);
  network.to(device);
  const nlohmann::json recipe = recipe_json(opt);
  TrainResult result;
  std::optional<Checkpoint> checkpoint;
  if (opt.resume && std::filesystem::exists(opt.checkpoint)) {
    checkpoint = load_checkpoint(opt.checkpoint, identity, recipe);
    restore(network, checkpoint->model, opt.checkpoint);  // before the optimizer re-seats parameters
    result.history = checkpoint->history;
    result.resumed_epochs = static_cast<int>(result.history.size());
  }
  FlatOptimizer optimizer(network.parameters(), flat_optimizer_options(opt));
  if (checkpoint) restore(optimizer, checkpoint->optimizer, opt.checkpoint);
  const std::unique_ptr<BatchSource> source = make_batch_source(data, device);
  const auto run_start = Clock::now();
  for (int epoch = result.resumed_epochs; epoch < opt.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    const double lr = scheduled_lr(opt, epoch);
    network.train();
    // Shuffled and augmented from (seed, epoch): a resumed run sees the same batches.
    const std::unique_ptr<BatchStream> stream = source->train_epoch(epoch, opt.seed, opt.batch_size, opt.augment);
    const int64_t batches = stream->batches();
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    for (int64_t batch = 0; batch < batches; ++batch) {
      const Batch next = *stream->next();
      const torch::Tensor &x = next.x, &y = next.y;
      optimizer.zero_grad();
      const torch::Tensor logits = network.forward(x);
      const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
      const double value = loss.item<double>();
      if (!std::isfinite(value))
        throw DivergedError(divergence_message(value, epoch, batch, lr));
      loss.backward();
      optimizer.step(lr);
      const int64_t b = y.size(0);
      loss_sum += value * b;
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
      seen += b;
      if (progress) {
        const double t = seconds_since(epoch_start);
        progress->on_batch(epoch + 1, opt.epochs, batch + 1, batches, loss_sum / seen,
                           static_cast<double>(correct) / seen, seen / std::max(t, 1e-9), t);
      }
    }
    const double train_seconds = seconds_since(epoch_start);
    result.test = evaluate(network, *source->test_pass(opt.eval_batch_size));
    EpochMetrics m;
    m.epoch = epoch + 1;
    m.lr = lr;
    m.train_loss = loss_sum / seen;
    m.train_acc = static_cast<double>(correct) / seen;
    m.test_loss = result.test.loss;
    m.test_acc = result.test.accuracy;
    m.seconds = seconds_since(epoch_start);
    m.images_per_second = seen / std::max(train_seconds, 1e-9);
    result.history.push_back(m);
    if (!opt.checkpoint.empty()) save_checkpoint(opt.checkpoint, network, optimizer, result.history, identity, recipe);
    if (!opt.metrics_log.empty()) write_metrics(opt.metrics_log, result.history);
    if (progress) progress->on_epoch(m, opt.epochs);
  }
  if (result.resumed_epochs == opt.epochs) {  // nothing left to train: report the saved state
    result.test = evaluate(network, *source->test_pass(opt.eval_batch_size));
    if (!opt.metrics_log.empty()) write_metrics(opt.metrics_log, result.history);
  }
  result.seconds = seconds_since(run_start);
  return result;
}

}  // namespace nnmass
