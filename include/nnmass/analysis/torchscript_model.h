// Any PyTorch model, scripted (torch.jit.script) or traced (torch.jit.trace) and saved, scored as
// nnmass's own networks are: #params, MACs and FLOPs measured on its forward graph, NN-Mass through
// the graph definition (graph_mass.h), and every zero-cost proxy (proxies.h). No nnmass spec needed.
//
// How: the forward graph is inlined and rewritten once per mode. Every conv/linear output, every
// rectifier's input and the pooled map become extra outputs (the proxies' taps, nn/tap.h). Every
// BatchNorm call gets the training flag and momentum the proxy asks for, or is removed (synflow).
// This matters because tracing freezes a model's BatchNorm mode into the graph, so module.train()
// alone would leave a model traced in eval mode scored with untrained running statistics (the
// reproduction trap of NASWOT issue #1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnmass/analysis/proxies.h"
#include "nnmass/graph_mass.h"

namespace nnmass {

struct TorchScriptSummary {
  int64_t params = 0;   // every parameter of the module
  int64_t macs = 0;     // multiply-accumulates of conv and linear calls, one sample at `input`
  int64_t flops = 0;    // 2 MACs + bias additions (nnmass's convention, cost.h)
  int64_t convs = 0, linears = 0;
  int64_t classes = 0;  // outputs of the forward pass per sample
  MassGraph graph;      // for NN-Mass (graph_mass.h)
};

// Loads `path` (IoError naming it if it is no TorchScript file) and runs one sample of shape
// `input` (SpecError naming --input if the model refuses it).
TorchScriptSummary summarize_torchscript(const std::string& path, const std::vector<int64_t>& input);

// Fresh deep copies of the loaded model for the proxies.
ModelFactory torchscript_factory(const std::string& path);

}  // namespace nnmass
