// TorchScript models for the counters, the graph NN-Mass and the proxies; see torchscript_model.h.
#include "nnmass/analysis/torchscript_model.h"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include <map>
#include <memory>
#include <set>

#include "nnmass/error.h"
#include "nnmass/nn/tap.h"

namespace nnmass {
namespace {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

bool is_any(const Node* n, std::initializer_list<const char*> kinds) {
  const std::string k = n->kind().toQualString();
  for (const char* name : kinds)
    if (k == name) return true;
  return false;
}

bool is_layer(const Node* n) { return is_any(n, {"aten::_convolution", "aten::conv1d", "aten::conv2d", "aten::conv3d", "aten::linear"}); }
bool is_rectifier(const Node* n) {
  return is_any(n, {"aten::relu", "aten::relu_", "aten::relu6", "aten::hardtanh", "aten::hardtanh_", "aten::elu",
                    "aten::elu_", "aten::leaky_relu", "aten::leaky_relu_"});
}
bool is_pool(const Node* n) { return is_any(n, {"aten::adaptive_avg_pool2d", "aten::mean"}); }
bool is_tensor(const Value* v) { return v->type()->kind() == c10::TypeKind::TensorType; }

torch::jit::Module load_module(const std::string& path) {
  try {
    torch::jit::Module m = torch::jit::load(path);
    if (!m.find_method("forward")) throw IoError(path + ": the TorchScript module has no forward method");
    return m;
  } catch (const c10::Error& e) {
    const std::string what = e.what();
    throw IoError("cannot load TorchScript model " + path + " (save one with torch.jit.script(model).save(path) or "
                  "torch.jit.trace(model, example).save(path)): " + what.substr(0, what.find('\n')));
  }
}

// What a graph value reads from the module: a GetAttr chain from `self`, or a constant; None for
// anything computed.
c10::IValue resolve_value(const Value* v, const torch::jit::Module& module) {
  const Node* n = v->node();
  if (n->kind() == c10::prim::Param) return module._ivalue();
  if (n->kind() == c10::prim::GetAttr) {
    const c10::IValue owner = resolve_value(n->input(0), module);
    return owner.isObject() ? owner.toObject()->getAttr(n->s(c10::attr::name)) : c10::IValue();
  }
  if (n->kind() == c10::prim::Constant) return torch::jit::toIValue(v).value_or(c10::IValue());
  return c10::IValue();
}

// The inlined forward graph with BatchNorm set to a mode and extra outputs: `taps` lists the kind of
// each extra output in order (the original output comes first).
struct TappedGraph {
  std::shared_ptr<Graph> graph;
  std::vector<Tap> taps;
  std::vector<Value*> layer_weights;  // per kLayer tap: its weight (counting mode)
  std::vector<Value*> layer_biases;   // per kLayer tap: its bias, or None (counting mode)
  std::vector<Value*> running_vars;   // per BatchNorm call: its running variance (updated in place)
  std::vector<Value*> outputs;        // the forward's output, the taps, the weights, anything added
};

// A graph function returns one value: the outputs become one tuple.
void seal(TappedGraph& t) {
  Graph& g = *t.graph;
  Node* tuple = g.appendNode(g.createTuple(t.outputs));
  g.eraseOutput(0);
  g.registerOutput(tuple->output());
  torch::jit::EliminateDeadCode(t.graph);
}

struct BatchNormMode {
  bool train = true;
  double momentum = -1;  // < 0: as the model has it
  bool removed = false;
};

// The forward graph, inlined, with the module's scalar attributes (a block's `use_res_connect`, a
// layer's `training`) made constants and the branches on them resolved: the network's one path.
// Unlike freezing, this merges no common subexpressions: two edges' ReLUs of one node stay two
// (NASWOT counts each rectifier, as the reference's hooks on ReLU modules do).
std::shared_ptr<Graph> plain_forward(const torch::jit::Module& module) {
  std::shared_ptr<Graph> g = module.get_method("forward").graph()->copy();
  torch::jit::Inline(*g);
  std::vector<Node*> scalars;
  for (Node* n : g->nodes())
    if (n->kind() == c10::prim::GetAttr) {
      const c10::TypeKind k = n->output()->type()->kind();
      if (k == c10::TypeKind::BoolType || k == c10::TypeKind::IntType || k == c10::TypeKind::FloatType) scalars.push_back(n);
    }
  for (Node* n : scalars) {
    const c10::IValue v = resolve_value(n->output(), module);
    if (v.isNone()) continue;
    torch::jit::WithInsertPoint guard(n);
    n->output()->replaceAllUsesWith(g->insertConstant(v));
  }
  torch::jit::ConstantPropagation(g);
  torch::jit::EliminateDeadCode(g);
  return g;
}

TappedGraph tapped_graph(torch::jit::Module& module, const BatchNormMode& bn, bool weights) {
  TappedGraph t;
  t.graph = plain_forward(module);
  Graph& g = *t.graph;
  Value* pre_pool = nullptr;
  std::vector<std::pair<Tap, Value*>> taps;
  for (Node* n : g.nodes()) {
    if (n->kind().toQualString() == std::string("aten::batch_norm")) {
      torch::jit::WithInsertPoint guard(n);
      if (bn.removed) {
        n->output()->replaceAllUsesWith(n->input(0));
        continue;
      }
      n->replaceInput(5, g.insertConstant(bn.train));
      if (bn.momentum >= 0) n->replaceInput(6, g.insertConstant(bn.momentum));
      t.running_vars.push_back(n->input(4));
    }
    if (is_layer(n)) {
      taps.push_back({Tap::kLayer, n->output()});
      if (weights) {
        t.layer_weights.push_back(n->input(1));
        t.layer_biases.push_back(n->inputs().size() > 2 ? n->input(2) : g.insertConstant(c10::IValue()));
      }
    }
    if (is_rectifier(n)) taps.push_back({Tap::kActivation, n->input(0)});
    if (is_pool(n) && is_tensor(n->input(0))) pre_pool = n->input(0);
  }
  if (pre_pool) taps.push_back({Tap::kPrePool, pre_pool});
  t.outputs.push_back(g.outputs()[0]);
  for (const auto& [kind, v] : taps) {
    t.outputs.push_back(v);
    t.taps.push_back(kind);
  }
  t.outputs.insert(t.outputs.end(), t.layer_weights.begin(), t.layer_weights.end());
  t.outputs.insert(t.outputs.end(), t.layer_biases.begin(), t.layer_biases.end());
  t.outputs.insert(t.outputs.end(), t.running_vars.begin(), t.running_vars.end());
  return t;
}

// Runs a graph whose first input is the module: outputs in order.
std::vector<c10::IValue> run_graph(const std::shared_ptr<Graph>& graph, torch::jit::Module& module,
                                   const torch::Tensor& x) {
  torch::jit::GraphOptimizerEnabledGuard plain(false);  // the interpreter, as written: no fusion
  torch::jit::GraphFunction fn("nnmass_tapped_forward", graph, nullptr);
  torch::jit::Stack stack = {module._ivalue(), x};
  fn.run(stack);
  return stack.at(0).toTupleRef().elements().vec();
}

torch::Tensor resolved_tensor(const Value* v, const torch::jit::Module& module) {
  const c10::IValue iv = resolve_value(v, module);
  return iv.isTensor() ? iv.toTensor() : torch::Tensor();
}

// A copy of the model. Its layers, BatchNorms and parameters are read from the forward graph
// itself, in forward order (the order the network computes them, whatever its module tree).
class TorchScriptProxyModel : public ProxyModel {
 public:
  explicit TorchScriptProxyModel(torch::jit::Module module) : module_(std::move(module)) {
    auto g = plain_forward(module_);
    std::set<const c10::TensorImpl*> seen;
    const auto keep = [&](std::vector<torch::Tensor>& list, const torch::Tensor& t) {
      if (t.defined()) list.push_back(t);
      if (t.defined() && t.requires_grad() && seen.insert(t.unsafeGetTensorImpl()).second) params_.push_back(t);
    };
    for (const Node* n : g->nodes()) {
      if (is_layer(n)) {
        keep(weights_, resolved_tensor(n->input(1), module_));
        if (n->inputs().size() > 2) keep(biases_, resolved_tensor(n->input(2), module_));
      }
      if (n->kind().toQualString() == std::string("aten::batch_norm")) {
        keep(norm_weights_, resolved_tensor(n->input(1), module_));
        keep(norm_biases_, resolved_tensor(n->input(2), module_));
        for (int k : {3, 4})
          if (torch::Tensor t = resolved_tensor(n->input(k), module_); t.defined()) stats_.push_back(t);
      }
    }
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    const TappedGraph& t = graph();
    const std::vector<c10::IValue> out = run_graph(t.graph, module_, x);
    for (size_t k = 0; k < t.taps.size(); ++k) tap(t.taps[k], out[1 + k].toTensor());
    running_vars_.clear();
    for (size_t k = 0; k < t.running_vars.size(); ++k) {
      const c10::IValue& v = out[1 + t.taps.size() + k];
      if (v.isTensor()) running_vars_.push_back(v.toTensor());
    }
    return out[0].toTensor();
  }

  std::vector<torch::Tensor> weights() override { return weights_; }
  std::vector<torch::Tensor> parameters() override { return params_; }

  // BatchNorm's mode is set in the graph; dropout stays in eval mode (frozen), so scores do not
  // depend on random masks.
  void set_train(bool on) override {
    set_mode([on](BatchNormMode& m) { m.train = on; });
  }
  void to_double() override {
    torch::NoGradGuard no_grad;
    for (auto* list : {&params_, &stats_})
      for (torch::Tensor& t : *list)
        if (t.is_floating_point()) t.set_data(t.to(torch::kFloat64));
  }
  void remove_batch_norm() override { set_mode([](BatchNormMode& m) { m.removed = true; }); }
  void set_batch_norm_momentum(double momentum) override {
    set_mode([momentum](BatchNormMode& m) { m.momentum = momentum; });
  }

  void gaussian_init(torch::Generator& generator) override {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& w : weights_) w.normal_(0, 1, generator);
    for (torch::Tensor& b : biases_) b.zero_();
    for (torch::Tensor& w : norm_weights_) w.fill_(1.0);
    for (torch::Tensor& b : norm_biases_) b.zero_();
  }

  // The running variances the last forward pass used (and, in train mode, updated).
  std::vector<torch::Tensor> batch_norm_running_vars() override { return running_vars_; }

 private:
  template <typename F>
  void set_mode(F change) {
    change(mode_);
    graph_.reset();
  }
  const TappedGraph& graph() {
    if (!graph_) {
      graph_ = std::make_unique<TappedGraph>(tapped_graph(module_, mode_, false));
      seal(*graph_);
    }
    return *graph_;
  }

  torch::jit::Module module_;
  BatchNormMode mode_;
  std::unique_ptr<TappedGraph> graph_;
  std::vector<torch::Tensor> weights_, biases_, norm_weights_, norm_biases_, params_, stats_, running_vars_;
};

// The mass graph of the forward pass: tensors derived from the input are vertices (widths from
// `values`, one sample), conv/linear calls are layers, add/sub/mul of two vertices are sums, cat
// is a concatenation, everything else plumbing.
MassGraph mass_graph_of(Graph& g, const std::map<const Value*, torch::Tensor>& values, const Value* result) {
  MassGraph mg;
  std::map<const Value*, int> vertex;
  const auto width = [&](const Value* v) -> int64_t {
    const torch::Tensor& t = values.at(v);
    return t.dim() >= 2 ? t.size(1) : t.numel();
  };
  const Value* x = g.inputs()[1];
  vertex[x] = mg.add("input", VertexKind::kInput, width(x), {});
  for (Node* n : g.nodes()) {
    std::vector<int> in;
    for (const Value* v : n->inputs()) {
      if (auto it = vertex.find(v); it != vertex.end()) in.push_back(it->second);
      if (v->node()->kind().toQualString() == std::string("prim::ListConstruct"))
        for (const Value* e : v->node()->inputs())
          if (auto it = vertex.find(e); it != vertex.end()) in.push_back(it->second);
    }
    if (in.empty() || is_any(n, {"prim::TupleConstruct"})) continue;
    for (const Value* out : n->outputs()) {
      if (!is_tensor(out) || !values.count(out)) continue;
      const std::string label = std::string(n->kind().toUnqualString()) + "." + std::to_string(mg.vertices.size());
      VertexKind kind = VertexKind::kPlumbing;
      std::vector<int> reads = {in.front()};
      if (is_layer(n)) {
        kind = VertexKind::kLayer;
      } else if (is_any(n, {"aten::cat"})) {
        kind = VertexKind::kConcat;
        reads = in;
      } else if (in.size() > 1) {
        kind = VertexKind::kAdd;
        reads = in;
      }
      vertex[out] = mg.add(label, kind, width(out), reads);
    }
  }
  const auto it = vertex.find(result);
  if (it == vertex.end()) throw SpecError("the model's output does not depend on its input");
  if (it->second + 1 != static_cast<int>(mg.vertices.size()))
    mg.add("output", VertexKind::kPlumbing, width(result), {it->second});
  return mg;
}

}  // namespace

TorchScriptSummary summarize_torchscript(const std::string& path, const std::vector<int64_t>& input) {
  torch::jit::Module loaded = load_module(path);
  loaded.eval();
  // Frozen, a scripted model's branches on its attributes (a block's `use_res_connect`) are
  // resolved, so the graph is the network's one path of computation.
  torch::jit::Module module = torch::jit::freeze_module(loaded);
  TorchScriptSummary s;
  for (const auto& p : loaded.parameters()) s.params += p.numel();
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), input.begin(), input.end());
  const torch::Tensor x = torch::randn(shape);
  // One run with every tensor of the graph as an output: widths for the mass graph, layer outputs
  // and weights for the counts.
  BatchNormMode eval;
  eval.train = false;
  TappedGraph t = tapped_graph(module, eval, true);
  Graph& g = *t.graph;
  const size_t base = t.outputs.size();
  const size_t first_bias = 1 + t.taps.size() + t.layer_weights.size();
  std::vector<const Value*> all;
  for (Node* n : g.nodes())
    for (Value* v : n->outputs())
      if (is_tensor(v)) {
        all.push_back(v);
        t.outputs.push_back(v);
      }
  const Value* result = t.outputs.front();
  seal(t);
  std::vector<c10::IValue> out;
  try {
    torch::NoGradGuard no_grad;
    out = run_graph(t.graph, module, x);
  } catch (const std::exception& e) {
    std::string shown;
    for (int64_t d : input) shown += (shown.empty() ? "" : ",") + std::to_string(d);
    const std::string what = e.what();
    throw SpecError("--input " + shown + ": " + path + " cannot run on one sample of that shape: " +
                    what.substr(0, what.find('\n')));
  }
  const torch::Tensor y = out[0].toTensor();
  s.classes = y.numel();
  size_t layer = 0;
  for (size_t k = 0; k < t.taps.size(); ++k) {
    if (t.taps[k] != Tap::kLayer) continue;
    const torch::Tensor o = out[1 + k].toTensor();
    const torch::Tensor w = out[1 + t.taps.size() + layer++].toTensor();
    const int64_t per_output = w.numel() / w.size(0);  // in/groups * kernel, or in_features
    const int64_t outputs = o.numel();                  // one sample
    s.macs += per_output * outputs;
    s.flops += 2 * per_output * outputs;
    (o.dim() > 2 ? s.convs : s.linears) += 1;
  }
  // Bias additions: one per output of a conv/linear call whose bias is a tensor.
  layer = 0;
  for (size_t k = 0; k < t.taps.size(); ++k) {
    if (t.taps[k] != Tap::kLayer) continue;
    if (out[first_bias + layer++].isTensor()) s.flops += out[1 + k].toTensor().numel();
  }
  std::map<const Value*, torch::Tensor> values;
  for (size_t k = 0; k < all.size(); ++k) values[all[k]] = out[base + k].toTensor();
  values[g.inputs()[1]] = x;
  s.graph = mass_graph_of(g, values, result);
  return s;
}

ModelFactory torchscript_factory(const std::string& path) {
  auto loaded = std::make_shared<torch::jit::Module>(load_module(path));
  return [loaded]() -> std::unique_ptr<ProxyModel> {
    torch::jit::Module copy;
    {
      torch::NoGradGuard no_grad;  // copies without autograd history: leaves, as parameters must be
      copy = loaded->deepcopy();
    }
    for (const auto& p : copy.parameters()) p.requires_grad_(true);
    return std::make_unique<TorchScriptProxyModel>(std::move(copy));
  };
}

}  // namespace nnmass
