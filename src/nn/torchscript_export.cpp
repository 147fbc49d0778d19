// An nnmass module tree as a runnable TorchScript module; see torchscript_export.h.
//
// Why TorchScript source and not tracing: a traced graph freezes one mode (BatchNorm's training
// flag, its running-statistics update) and drops the module tree. Each exported module instead
// gets a class of its own with the same parameters, buffers and children as the C++ module and a
// `forward` in TorchScript, so train()/eval(), state_dict() names and running statistics behave as
// they do in nnmass, in C++ and in Python alike.
#include "nnmass/nn/torchscript_export.h"

#include <cctype>
#include <cstdio>

#include "nnmass/error.h"

namespace nnmass {
namespace script {

std::string call(const std::string& child, const std::string& arg) {
  const bool numeric = !child.empty() && std::isdigit(static_cast<unsigned char>(child[0]));
  return (numeric ? "getattr(self, \"" + child + "\")" : "self." + child) + ".forward(" + arg + ")";
}

std::string forward(const std::vector<std::string>& lines) {
  std::string text = "def forward(self, x: Tensor) -> Tensor:\n";
  for (const std::string& line : lines) text += "    " + line + "\n";
  return text;
}

}  // namespace script

namespace {

namespace nn = torch::nn;

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s = buf;
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";  // a float literal in TorchScript
  return s;
}

template <size_t N>
std::string int_list(const torch::ExpandingArray<N>& a) {
  std::string s = "[";
  for (size_t i = 0; i < N; ++i) s += (i ? ", " : "") + std::to_string((*a)[i]);
  return s + "]";
}

std::string conv2d_source(const nn::Conv2dImpl& conv) {
  const auto& o = conv.options;
  if (!c10::holds_alternative<torch::ExpandingArray<2>>(o.padding()) ||
      !c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode()))
    throw SpecError("TorchScript export: only Conv2d with explicit zero padding is supported");
  if (o.transposed()) throw SpecError("TorchScript export: transposed convolutions are not supported");
  const std::string bias = conv.bias.defined() ? "self.bias" : "None";
  return script::forward({"return torch.conv2d(x, self.weight, " + bias + ", " + int_list(o.stride()) + ", " +
                          int_list(c10::get<torch::ExpandingArray<2>>(o.padding())) + ", " +
                          int_list(o.dilation()) + ", " + std::to_string(o.groups()) + ")"});
}

std::string linear_source(const nn::LinearImpl& linear) {
  return script::forward({"return torch.linear(x, self.weight, " +
                          std::string(linear.bias.defined() ? "self.bias" : "None") + ")"});
}

// As BatchNormImplBase::forward with a fixed momentum: count the batch, then normalise with batch
// statistics (updating the running ones) in training mode, with the running ones in eval mode.
std::string batch_norm_source(const nn::BatchNorm2dImpl& bn) {
  const auto& o = bn.options;
  if (!o.track_running_stats() || !o.momentum())
    throw SpecError("TorchScript export: BatchNorm2d needs running statistics and a fixed momentum");
  const std::string weight = bn.weight.defined() ? "self.weight" : "None";
  const std::string bias = bn.bias.defined() ? "self.bias" : "None";
  return script::forward({"if self.training:",
                          "    self.num_batches_tracked.add_(1)",
                          "return torch.batch_norm(x, " + weight + ", " + bias +
                              ", self.running_mean, self.running_var, self.training, " + number(*o.momentum()) +
                              ", " + number(o.eps()) + ", True)"});
}

// Sequential, and nnmass's ModuleLists (whose networks apply them in order): children in order.
std::string sequential_source(const nn::Module& module) {
  std::vector<std::string> lines;
  for (const auto& child : module.named_children()) lines.push_back("x = " + script::call(child.key(), "x"));
  lines.push_back("return x");
  return script::forward(lines);
}

std::string source_of(const nn::Module& module) {
  if (const auto* s = dynamic_cast<const ScriptSource*>(&module)) return s->script_source();
  if (const auto* conv = module.as<nn::Conv2d>()) return conv2d_source(*conv);
  if (const auto* linear = module.as<nn::Linear>()) return linear_source(*linear);
  if (const auto* bn = module.as<nn::BatchNorm2d>()) return batch_norm_source(*bn);
  if (module.as<nn::Sequential>() || module.as<nn::ModuleList>()) return sequential_source(module);
  throw SpecError("TorchScript export: no TorchScript form for module " + module.name());
}

// "nnmass::(anonymous namespace)::ConvBnImpl" -> "ConvBn": the class name Python shows.
std::string class_name(const nn::Module& module) {
  std::string name = module.name();
  name = name.substr(name.rfind(':') == std::string::npos ? 0 : name.rfind(':') + 1);
  if (name.size() > 4 && name.compare(name.size() - 4, 4, "Impl") == 0) name.resize(name.size() - 4);
  return name;
}

torch::jit::Module export_module(const nn::Module& module, const std::shared_ptr<torch::jit::CompilationUnit>& cu) {
  torch::jit::Module out("__torch__.nnmass." + class_name(module), cu, /*shouldMangle=*/true);
  out.register_attribute("training", c10::BoolType::get(), module.is_training());
  for (const auto& p : module.named_parameters(/*recurse=*/false)) out.register_parameter(p.key(), p.value(), false);
  for (const auto& b : module.named_buffers(/*recurse=*/false)) out.register_buffer(b.key(), b.value());
  for (const auto& child : module.named_children()) out.register_module(child.key(), export_module(*child.value(), cu));
  const std::string source = source_of(module);
  try {
    out.define(source);
  } catch (const std::exception& e) {  // a bug of ours, not of the user's input: say where
    throw std::logic_error("TorchScript export of " + module.name() + " failed: " + e.what() + "\n" + source);
  }
  return out;
}

}  // namespace

torch::jit::Module to_torchscript(torch::nn::Module& module) {
  return export_module(module, std::make_shared<torch::jit::CompilationUnit>());
}

}  // namespace nnmass
