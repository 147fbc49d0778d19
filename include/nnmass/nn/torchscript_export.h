// Runnable TorchScript from an nnmass network: the same module tree, names, parameters and buffers,
// and a `forward` written in TorchScript that computes what the C++ forward computes, links and
// BatchNorm state included. Python's `torch.jit.load(path)(x)` and C++'s `torch::jit::load` run it;
// nnmass's own `load_model` reads its weights back by name.
#pragma once

#include <string>
#include <vector>

#include <torch/csrc/jit/api/module.h>
#include <torch/torch.h>

namespace nnmass {

// A module whose forward nnmass writes out as TorchScript. Every nnmass module implements it next
// to its C++ forward (the two are kept in step by tests); torch's own Conv2d, Linear, BatchNorm2d,
// Sequential and ModuleList are written by the exporter.
class ScriptSource {
 public:
  virtual ~ScriptSource() = default;
  // TorchScript source of the module's methods: at least `def forward(self, x: Tensor) -> Tensor:`.
  // It reaches children as self.<name> (getattr(self, "0") for numeric names) and calls them with
  // .forward(...); parameters and buffers as self.<name>.
  virtual std::string script_source() const = 0;
};

// The module (and its children) as a TorchScript module. Tensors are shared with `module`, not
// copied; the training flag is copied. SpecError if a module in the tree has no TorchScript form.
torch::jit::Module to_torchscript(torch::nn::Module& module);

namespace script {
// Helpers for script_source(). A child's call: self.<child>.forward(arg), or
// getattr(self, "<child>").forward(arg) for the numeric names of Sequential entries.
std::string call(const std::string& child, const std::string& arg);
// `def forward(self, x: Tensor) -> Tensor:` with these lines as its body (indented here).
std::string forward(const std::vector<std::string>& lines);
}  // namespace script

}  // namespace nnmass
