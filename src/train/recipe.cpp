// Data and recipe options, official recipes, thread choice, spec-to-data fitting; see recipe.h.
#include "nnmass/train/recipe.h"

#include "nnmass/error.h"

namespace nnmass {
namespace {

int64_t product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text;
  for (int64_t d : shape) text += (text.empty() ? "" : ",") + std::to_string(d);
  return text;
}

}  // namespace

void apply_official_recipe(const DataSplit& data, const OptionTable& table, bool no_augment, TrainOptions* t) {
  const bool cifar = data.augment_crop_flip;
  if (!table.given("optimizer")) t->optimizer = cifar ? "sgd" : "adam";
  if (!table.given("lr")) t->lr = t->optimizer == "sgd" ? 0.1 : 1e-3;
  if (!table.given("weight-decay")) t->weight_decay = t->optimizer == "sgd" && cifar ? 5e-4 : 0.0;
  if (!table.given("schedule")) t->schedule = cifar ? "cosine" : "constant";
  if (!table.given("batch-size")) t->batch_size = cifar ? 128 : 100;
  t->augment = cifar && !no_augment;
  // Options of another optimizer or schedule would be silently ignored: refuse them.
  for (const char* name : {"momentum", "nesterov"})
    if (table.given(name) && t->optimizer != "sgd")
      throw SpecError(std::string("--") + name + " applies to --optimizer sgd, not " + t->optimizer);
  for (const char* name : {"step-size", "gamma"})
    if (table.given(name) && t->schedule != "step")
      throw SpecError(std::string("--") + name + " applies to --schedule step, not " + t->schedule);
  if (table.given("no-augment") && !cifar)
    throw SpecError("--no-augment applies to CIFAR-like data (crop + flip), not " + data.name);
}

Spec fit_spec_to_data(Spec spec, const DataSplit& data, bool adopt_input, bool adopt_classes) {
  if (adopt_input) spec.input = spec.family == Family::kMlp ? std::vector<int64_t>{product(data.shape)} : data.shape;
  if (adopt_classes) spec.classes = static_cast<int>(data.classes);
  validate(spec);
  const bool fits = spec.family == Family::kMlp ? product(spec.input) == product(data.shape) : spec.input == data.shape;
  const std::string shape = shape_text(data.shape);
  if (!fits)
    throw SpecError("the architecture's input does not fit " + data.name + " samples of shape " + shape +
                    "; use --input " + shape + " or another data set");
  if (spec.classes != data.classes)
    throw SpecError("the architecture has " + std::to_string(spec.classes) + " classes, " + data.name + " has " +
                    std::to_string(data.classes) + "; use --classes " + std::to_string(data.classes));
  return spec;
}

}  // namespace nnmass
