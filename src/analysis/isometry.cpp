// Layer-wise Jacobians of a dense MLP and their singular values (method spec §3).
//
// Speed: the singular values of J [r x c] are the square roots of the eigenvalues of its smaller
// Gram matrix, and for these Jacobians the Gram matrix has a cheap form: diag(e) (W W^T) diag(e)
// for layer 0, W diag(d^2) W^T for layers >= 2. A layer without an activation factor has the same
// Jacobian W for every sample: its singular values are computed once.
#include "nnmass/analysis/isometry.h"

#include <ATen/CPUGeneratorImpl.h>

#include <atomic>
#include <cmath>

#include "nnmass/analysis/symmetric_eigen.h"
#include "nnmass/error.h"

namespace nnmass {
namespace {

// Running sums of singular values, in double.
struct Moments {
  double sum = 0, sum_sq = 0;
  int64_t count = 0;
  void add(const torch::Tensor& values, int64_t times = 1) {  // values: float64
    sum += times * values.sum().item<double>();
    sum_sq += times * values.square().sum().item<double>();
    count += times * values.numel();
  }
  void add(const Moments& o) {
    sum += o.sum;
    sum_sq += o.sum_sq;
    count += o.count;
  }
  double mean() const { return count ? sum / count : 0.0; }
  double std() const {
    if (count < 2) return 0.0;
    return std::sqrt(std::max(0.0, (sum_sq - sum * sum / count) / (count - 1)));
  }
};

// The form whose Jacobian a layer gets: the official code multiplies the classifier's Jacobian
// by phi'(z) although the forward pass applies no activation there.
LayerForm jacobian_form(LayerForm form, Derivative der) {
  if (form == LayerForm::kClassifier)
    return der == Derivative::kReference ? LayerForm::kActivateBefore : LayerForm::kLinear;
  return form;
}

// Eigenvalues of symmetric PSD Gram matrices [B, n, n] -> singular values [B, n], descending.
// symmetric_eigenvalues is ~6x faster than LAPACK (torch::linalg_eigvalsh) on these sizes.
torch::Tensor gram_singular_values(const torch::Tensor& gram) {
  const torch::Tensor g = gram.to(torch::kFloat64).contiguous();
  const int64_t batch = g.size(0), n = g.size(1);
  // Past a few dozen rows LAPACK's blocked solver wins (the small-matrix solver is O(n^3) scalar
  // code: a 1024-wide layer took minutes per 100 samples).
  constexpr int64_t kLargeGram = 48;
  if (n > kLargeGram) return torch::linalg_eigvalsh(g).flip(-1).clamp_min_(0).sqrt_();
  torch::Tensor values = torch::empty({batch, n}, torch::kFloat64);
  const double* src = g.data_ptr<double>();
  double* dst = values.data_ptr<double>();
  std::atomic<bool> converged{true};
  at::parallel_for(0, batch, /*grain_size=*/256, [&](int64_t begin, int64_t end) {
    std::vector<double> work(n * n + 3 * n);
    for (int64_t i = begin; i < end; ++i)
      if (!symmetric_eigenvalues(src + i * n * n, static_cast<int>(n), dst + i * n, work.data()))
        converged = false;
  });
  if (!converged) throw Error("isometry: an eigenvalue iteration did not converge");
  return values.clamp_min_(0).sqrt_();
}

// Working memory of one layer's batched Jacobian/Gram computation: larger batches are split, so a
// 1024-wide layer costs ~256 MiB at a time instead of gigabytes (results are the same).
constexpr int64_t kChunkBytes = int64_t{256} << 20;

// Singular values of one traced layer's Jacobians for samples z [B, in] (analytic, fast).
torch::Tensor chunk_singular_values(const torch::Tensor& w, const torch::Tensor& bias, const torch::Tensor& z,
                                    LayerForm form, Activation act, Derivative der) {
  const int64_t out = w.size(0), in = w.size(1);
  if (form == LayerForm::kActivateAfter) {
    // J = diag(e) W, e = phi'(W z + b): [B, out]
    const torch::Tensor e = activation_derivative(torch::addmm(bias, z, w.t()), act, der);
    if (out <= in)
      return gram_singular_values(e.unsqueeze(2) * w.mm(w.t()).unsqueeze(0) * e.unsqueeze(1));
    // Tall J: its singular values are those of the in x in Gram J^T J = W^T diag(e^2) W.
    const torch::Tensor j = e.unsqueeze(2) * w.unsqueeze(0);  // [B, out, in]
    return gram_singular_values(j.transpose(1, 2).bmm(j));
  }
  // kActivateBefore: J = W diag(d), d = phi'(z): [B, in]
  const torch::Tensor d = activation_derivative(z, act, der);
  if (out <= in) {
    if (in * out * out * 8 <= kChunkBytes) {
      // G = W diag(d^2) W^T = sum_k d_k^2 w_k w_k^T (w_k: column k of W): one GEMM for the whole
      // batch, [B, in] x [in, out*out], instead of B small ones.
      const torch::Tensor outer = (w.t().unsqueeze(2) * w.t().unsqueeze(1)).reshape({in, out * out});
      return gram_singular_values(d.square().mm(outer).view({-1, out, out}));
    }
    const torch::Tensor j = w.unsqueeze(0) * d.unsqueeze(1);  // [B, out, in]
    return gram_singular_values(j.bmm(j.transpose(1, 2)));
  }
  return gram_singular_values(d.unsqueeze(2) * w.t().mm(w).unsqueeze(0) * d.unsqueeze(1));
}

torch::Tensor layer_singular_values(const LayerTrace& layer, Activation act, Derivative der,
                                    bool* shared) {
  const torch::Tensor w = layer.linear->weight.to(torch::kFloat64);  // [out, in]
  const torch::Tensor z = layer.input.to(torch::kFloat64);            // [B, in]
  const int64_t out = w.size(0), in = w.size(1);
  const LayerForm form = jacobian_form(layer.form, der);
  *shared = form == LayerForm::kLinear;
  if (form == LayerForm::kLinear) return torch::linalg_svdvals(w).unsqueeze(0);  // [1, min]
  const torch::Tensor bias = layer.linear->bias.to(torch::kFloat64);
  // Each sample holds an out x in Jacobian and an out x out (or in x in) Gram matrix.
  const int64_t per_sample = 8 * (out * in + std::min(out, in) * std::min(out, in)) * 2;
  const int64_t rows = std::max<int64_t>(1, kChunkBytes / per_sample);
  if (z.size(0) <= rows) return chunk_singular_values(w, bias, z, form, act, der);
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < z.size(0); start += rows)
    parts.push_back(chunk_singular_values(w, bias, z.narrow(0, start, std::min(rows, z.size(0) - start)), form, act, der));
  return torch::cat(parts);
}

}  // namespace

std::string to_string(Derivative d) { return d == Derivative::kCorrect ? "correct" : "reference"; }

Derivative parse_derivative(const std::string& text, const std::string& field) {
  if (text == "correct") return Derivative::kCorrect;
  if (text == "reference") return Derivative::kReference;
  throw SpecError(field + " must be correct or reference, got \"" + text + "\"");
}

torch::Tensor activation_derivative(const torch::Tensor& x, Activation activation, Derivative derivative) {
  const torch::Tensor positive = x.gt(0);
  if (activation == Activation::kRelu) return positive.to(x.scalar_type());
  if (derivative == Derivative::kReference)  // the official code: exp(x) for x > 0, 0 elsewhere
    return torch::where(positive, x.exp(), torch::zeros_like(x));
  return torch::where(positive, torch::ones_like(x), x.exp());  // ELU (alpha 1): 1, or exp(x)
}

torch::Tensor layer_jacobian(const LayerTrace& layer, Activation act, Derivative der) {
  const torch::Tensor w = layer.linear->weight.detach();  // [out, in]
  const torch::Tensor z = layer.input.detach();           // [B, in]
  switch (jacobian_form(layer.form, der)) {
    case LayerForm::kLinear:
      return w.unsqueeze(0).expand({z.size(0), w.size(0), w.size(1)});
    case LayerForm::kActivateAfter: {
      const torch::Tensor e = activation_derivative(torch::addmm(layer.linear->bias.detach(), z, w.t()), act, der);
      return e.unsqueeze(2) * w.unsqueeze(0);
    }
    case LayerForm::kActivateBefore:
    case LayerForm::kClassifier:  // not reached: jacobian_form maps it
      return w.unsqueeze(0) * activation_derivative(z, act, der).unsqueeze(1);
  }
  return {};
}

std::function<torch::Tensor(const torch::Tensor&)> layer_function(const LayerTrace& layer, Activation act) {
  const auto phi = [act](const torch::Tensor& x) { return act == Activation::kElu ? torch::elu(x) : torch::relu(x); };
  torch::nn::Linear linear = layer.linear;
  switch (layer.form) {
    case LayerForm::kActivateAfter: return [=](const torch::Tensor& z) mutable { return phi(linear->forward(z)); };
    case LayerForm::kLinear:
    case LayerForm::kClassifier: return [=](const torch::Tensor& z) mutable { return linear->forward(z); };
    case LayerForm::kActivateBefore: return [=](const torch::Tensor& z) mutable { return linear->forward(phi(z)); };
  }
  return {};
}

torch::Tensor autograd_jacobian(const std::function<torch::Tensor(const torch::Tensor&)>& f, const torch::Tensor& z) {
  torch::AutoGradMode enable(true);
  const torch::Tensor input = z.detach().requires_grad_(true);
  const torch::Tensor output = f(input);  // [B, out]
  std::vector<torch::Tensor> rows;
  for (int64_t i = 0; i < output.size(1); ++i) {
    // Samples are independent, so d(sum_b y[b, i]) / dz[b] is row i of sample b's Jacobian.
    rows.push_back(torch::autograd::grad({output.select(1, i).sum()}, {input}, {}, /*retain_graph=*/true)[0]);
  }
  return torch::stack(rows, 1);  // [B, out, in]
}

torch::Tensor singular_values(const torch::Tensor& matrices) {
  return torch::linalg_svdvals(matrices.to(torch::kFloat64));
}

IsometryResult measure_isometry(DenseMlpImpl& network, const torch::Tensor& inputs, const IsometryOptions& o) {
  if (o.batch_size < 1) throw SpecError("isometry batch size must be at least 1");
  if (inputs.size(0) < 1) throw SpecError("isometry needs at least one input sample");
  torch::NoGradGuard no_grad;
  network.eval();
  std::vector<Moments> per_layer;
  std::vector<LayerIsometry> layers;
  for (int64_t start = 0; start < inputs.size(0); start += o.batch_size) {
    const int64_t b = std::min(o.batch_size, inputs.size(0) - start);
    const std::vector<LayerTrace> traces = network.trace(inputs.narrow(0, start, b));
    if (per_layer.empty()) {
      per_layer.resize(traces.size());
      for (const LayerTrace& t : traces)
        layers.push_back({t.name, t.linear->weight.size(0), t.linear->weight.size(1), 0, 0, 0, {}});
    }
    for (size_t k = 0; k < traces.size(); ++k) {
      bool shared = false;
      const torch::Tensor s = layer_singular_values(traces[k], network.activation(), o.derivative, &shared);
      per_layer[k].add(s, shared ? b : 1);
    }
    if (o.progress) o.progress(start + b, inputs.size(0));
  }
  IsometryResult result;
  Moments all;
  for (size_t k = 0; k < layers.size(); ++k) {
    layers[k].mean = per_layer[k].mean();
    layers[k].std = per_layer[k].std();
    layers[k].count = per_layer[k].count;
    all.add(per_layer[k]);
  }
  result.mean = all.mean();
  result.std = all.std();
  result.count = all.count;
  result.layers = std::move(layers);
  return result;
}

double gaussian_mean_singular_value(int width, double mass, int draws, uint64_t seed) {
  if (width < 1 || draws < 1 || !(mass >= 0)) throw SpecError("theory check needs width >= 1, draws >= 1, mass >= 0");
  const int64_t cols = width + static_cast<int64_t>(std::floor(mass / 2));
  torch::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  // Draws in chunks of ~256 MiB: the same result for small widths, bounded memory for large ones.
  const int64_t per_draw = int64_t{8} * width * cols * 3;
  const int64_t chunk = std::max<int64_t>(1, kChunkBytes / per_draw);
  double sum = 0;
  int64_t count = 0;
  for (int64_t done = 0; done < draws; done += chunk) {
    const int64_t n = std::min<int64_t>(chunk, draws - done);
    const torch::Tensor g = torch::randn({n, width, cols}, generator, torch::kFloat64);
    const torch::Tensor s = gram_singular_values(g.bmm(g.transpose(1, 2)));  // width <= cols
    sum += s.sum().item<double>();
    count += s.numel();
  }
  return sum / count;
}

}  // namespace nnmass
