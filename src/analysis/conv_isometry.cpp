// Layer-wise Jacobian spectra of convolutional networks; see conv_isometry.h.
#include "nnmass/analysis/conv_isometry.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "nnmass/error.h"

namespace nnmass {
namespace {

using Map = std::function<torch::Tensor(const torch::Tensor&)>;

// Working memory of one spectrum computation at a time (the sample chunks adapt to it).
constexpr int64_t kBudgetBytes = int64_t{256} << 20;
// Samples per forward pass when BatchNorm statistics are gathered (fixed, so the statistics do not
// depend on the measurement's batch size).
constexpr int64_t kStatisticsChunk = 256;

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

int64_t per_sample_numel(const torch::Tensor& t) { return t.size(0) ? t.numel() / t.size(0) : 0; }

// Holds every BatchNorm at the statistics of `inputs` (cumulative average over fixed chunks) in
// eval mode, and puts the buffers, momenta and mode back when it goes out of scope.
class SampleStatistics {
 public:
  SampleStatistics(NetworkImpl& network, const torch::Tensor& inputs) : network_(network), training_(network.is_training()) {
    for (const auto& m : network.modules(/*include_self=*/false))
      if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
        saved_.push_back({bn, bn->running_mean.clone(), bn->running_var.clone(), bn->num_batches_tracked.clone(),
                          bn->options.momentum()});
        bn->reset_running_stats();
        bn->options.momentum(c10::nullopt);  // cumulative average over the chunks
      }
    torch::NoGradGuard no_grad;
    network.train();
    try {
      for (int64_t start = 0; start < inputs.size(0); start += kStatisticsChunk)
        network.forward(inputs.narrow(0, start, std::min(kStatisticsChunk, inputs.size(0) - start)));
    } catch (const c10::Error& e) {
      restore();
      const std::string what = e.what_without_backtrace();
      if (what.find("more than 1 value per channel") != std::string::npos)
        throw SpecError("isometry: BatchNorm statistics need more than one value per channel; use more samples");
      throw Error("isometry: " + what.substr(0, what.find('\n')));
    } catch (...) {  // e.g. the network's own input-shape error: leave the network as it was
      restore();
      throw;
    }
    network.eval();
  }
  ~SampleStatistics() { restore(); }
  SampleStatistics(const SampleStatistics&) = delete;
  SampleStatistics& operator=(const SampleStatistics&) = delete;

 private:
  struct Saved {
    torch::nn::BatchNorm2dImpl* bn;
    torch::Tensor mean, var, tracked;
    c10::optional<double> momentum;
  };
  void restore() {
    torch::NoGradGuard no_grad;
    for (Saved& s : saved_) {
      s.bn->running_mean.copy_(s.mean);
      s.bn->running_var.copy_(s.var);
      s.bn->num_batches_tracked.copy_(s.tracked);
      s.bn->options.momentum(s.momentum);
    }
    saved_.clear();
    network_.train(training_);
  }
  NetworkImpl& network_;
  bool training_;
  std::vector<Saved> saved_;
};

SpectrumSums exact_sums(const torch::Tensor& jacobian) {  // [r, c] -> sums of its singular values
  const torch::Tensor j = jacobian.to(torch::kFloat64);
  const torch::Tensor gram = j.size(0) <= j.size(1) ? j.mm(j.t()) : j.t().mm(j);
  const torch::Tensor lambda = torch::linalg_eigvalsh(gram).clamp_min(0);
  SpectrumSums s;
  s.s1 = lambda.sqrt().sum().item<double>();
  s.s2 = lambda.sum().item<double>();
  s.count = lambda.numel();
  return s;
}

// Quadrature of one Lanczos run: T's eigenpairs (theta, u) give v^T f(G) v ~ |v|^2 sum_j u_0j^2
// f(theta_j), with |v|^2 = n (Rademacher). For f = sqrt (odd derivatives > 0, even < 0) the Gauss
// rule over-estimates and the Gauss-Radau rule with a node fixed at 0 (T extended by one row so
// that 0 is an eigenvalue) under-estimates: the two bracket the probe's value.
struct Quadrature {
  double gauss = 0, radau = 0;  // of tr sqrt(G)
  double trace = 0;             // of tr G (exact for any rule: a polynomial of degree 1)
};

double weighted_root(const torch::Tensor& t, int64_t n) {
  const auto [theta, u] = torch::linalg_eigh(t);
  return n * (u.select(0, 0).square() * theta.clamp_min(0).sqrt()).sum().item<double>();
}

Quadrature quadrature(const double* alpha, const double* beta, int64_t len, bool exhausted, int64_t n) {
  torch::Tensor t = torch::zeros({len + 1, len + 1}, torch::kFloat64);
  auto a = t.accessor<double, 2>();
  for (int64_t i = 0; i < len; ++i) {
    a[i][i] = alpha[i];
    if (i + 1 < len) a[i][i + 1] = a[i + 1][i] = beta[i];
  }
  Quadrature q;
  q.trace = n * alpha[0];  // v^T G v = |v|^2 q_0^T G q_0
  q.gauss = weighted_root(t.narrow(0, 0, len).narrow(1, 0, len), n);
  q.radau = q.gauss;
  if (exhausted) return q;  // the Krylov space is invariant: the Gauss rule is exact
  // Radau: solve T_len d = beta_len^2 e_len (a tridiagonal solve, no pivoting needed for T PSD
  // except near singularity, where 0 is already (nearly) a node and Gauss is kept).
  std::vector<double> diag(alpha, alpha + len), rhs(len, 0.0);
  rhs[len - 1] = beta[len - 1] * beta[len - 1];
  for (int64_t i = 1; i < len; ++i) {  // Thomas algorithm
    if (!(std::abs(diag[i - 1]) > 1e-300)) return q;
    const double m = beta[i - 1] / diag[i - 1];
    diag[i] -= m * beta[i - 1];
    rhs[i] -= m * rhs[i - 1];
  }
  if (!(std::abs(diag[len - 1]) > 1e-300)) return q;
  const double last = rhs[len - 1] / diag[len - 1];  // d_len, the only component needed
  if (!std::isfinite(last)) return q;
  a[len - 1][len] = a[len][len - 1] = beta[len - 1];
  a[len][len] = last;
  q.radau = std::min(q.gauss, weighted_root(t, n));
  return q;
}

// Lanczos quadrature for the samples of z (each with `probes` probes), in one batched pass.
std::vector<SpectrumSums> lanczos_sums(const Map& f, const torch::Tensor& z, const ConvIsometryOptions& o,
                                       uint64_t probe_seed) {
  torch::AutoGradMode enable(true);
  const int64_t batch = z.size(0), p = o.probes, rows = batch * p;
  const torch::Tensor x = z.detach().repeat_interleave(p, 0).requires_grad_(true);  // row b*p + q
  const torch::Tensor y = f(x);
  const int64_t n_in = per_sample_numel(x), n_out = per_sample_numel(y);
  // J^T as a function of its argument, kept as a graph: its gradient is J u (double backward).
  const torch::Tensor probe_out = torch::zeros_like(y).requires_grad_(true);
  const torch::Tensor jt = torch::autograd::grad({y}, {x}, {probe_out}, /*retain_graph=*/true, /*create_graph=*/true)[0];
  const auto vjp = [&](const torch::Tensor& v) {  // [rows, n_out] -> [rows, n_in]
    return torch::autograd::grad({y}, {x}, {v.to(y.scalar_type()).view_as(y)}, true)[0].reshape({rows, n_in}).to(torch::kFloat64);
  };
  const auto jvp = [&](const torch::Tensor& u) {  // [rows, n_in] -> [rows, n_out]
    auto g = torch::autograd::grad({jt}, {probe_out}, {u.to(x.scalar_type()).view_as(x)}, true, false, /*allow_unused=*/true)[0];
    return g.defined() ? g.reshape({rows, n_out}).to(torch::kFloat64) : torch::zeros({rows, n_out}, torch::kFloat64);
  };
  const bool out_side = n_out <= n_in;  // the smaller Gram matrix
  const int64_t n = out_side ? n_out : n_in;
  const auto gram = [&](const torch::Tensor& q) { return out_side ? jvp(vjp(q)) : vjp(jvp(q)); };

  const int64_t m = std::min<int64_t>(o.steps, n);
  torch::Tensor v = torch::empty({rows, n}, torch::kFloat64);
  for (int64_t b = 0; b < batch; ++b) {  // each sample's probes from its own seed: batching-independent
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(splitmix(probe_seed + b));
    v.narrow(0, b * p, p).copy_(torch::randint(0, 2, {p, n}, gen, torch::kFloat64).mul_(2).sub_(1));
  }
  torch::Tensor basis = torch::zeros({rows, m, n}, torch::kFloat64);
  torch::Tensor alpha = torch::zeros({rows, m}, torch::kFloat64), beta = torch::zeros({rows, m}, torch::kFloat64);
  std::vector<int64_t> length(rows, m);
  std::vector<char> exhausted(rows, 0);  // breakdown: the Krylov space is G-invariant
  torch::Tensor active = torch::ones({rows, 1}, torch::kFloat64);
  torch::Tensor q = v / std::sqrt(static_cast<double>(n));
  torch::Tensor scale = torch::zeros({rows}, torch::kFloat64);  // largest |alpha|, |beta| so far
  for (int64_t j = 0; j < m; ++j) {
    basis.select(1, j).copy_(q);
    torch::Tensor w = gram(q);
    const torch::Tensor a = (q * w).sum(1);
    alpha.select(1, j).copy_(a);
    w -= a.unsqueeze(1) * q;
    if (j > 0) w -= beta.select(1, j - 1).unsqueeze(1) * basis.select(1, j - 1);
    const torch::Tensor done = basis.narrow(1, 0, j + 1);  // [rows, j+1, n]
    for (int pass = 0; pass < 2; ++pass)  // full reorthogonalisation, twice is enough
      w -= done.transpose(1, 2).bmm(done.bmm(w.unsqueeze(2))).squeeze(2);
    const torch::Tensor b = w.norm(2, 1);
    scale = torch::maximum(scale, torch::maximum(a.abs(), b));
    // An invariant subspace: the quadrature on the first j+1 nodes is already exact for this row.
    const torch::Tensor stop = b.le(1e-10 * scale.clamp_min(1e-300)) * active.squeeze(1).gt(0);
    auto stop_a = stop.accessor<bool, 1>();
    for (int64_t r = 0; r < rows; ++r)
      if (stop_a[r]) length[r] = j + 1, exhausted[r] = 1;
    if (n == j + 1)  // a full basis: Gauss is exact whatever beta's rounding says
      std::fill(exhausted.begin(), exhausted.end(), 1);
    active = active * stop.logical_not().to(torch::kFloat64).unsqueeze(1);
    beta.select(1, j).copy_(b * active.squeeze(1));
    if (j + 1 == m) break;
    q = w / b.clamp_min(1e-300).unsqueeze(1) * active;
  }

  std::vector<SpectrumSums> out(batch);
  const double* al = alpha.data_ptr<double>();
  const double* be = beta.data_ptr<double>();
  const int64_t count = std::min(n_in, n_out);
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<double> e1(p), e2(p);
    SpectrumSums& s = out[b];
    for (int64_t k = 0; k < p; ++k) {
      const int64_t r = b * p + k;
      const Quadrature qr = quadrature(al + r * m, be + r * m, length[r], exhausted[r], n);
      e1[k] = (qr.gauss + qr.radau) / 2;  // the middle of the bracket
      e2[k] = qr.trace;
      s.bound += (qr.gauss - qr.radau) / 2 / p;
    }
    s.count = count;
    for (int64_t k = 0; k < p; ++k) s.s1 += e1[k] / p, s.s2 += e2[k] / p;
    if (p < 2) {
      s.v11 = s.v22 = s.v12 = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    for (int64_t k = 0; k < p; ++k) {  // variance of the mean of p probes
      s.v11 += (e1[k] - s.s1) * (e1[k] - s.s1) / (p - 1) / p;
      s.v22 += (e2[k] - s.s2) * (e2[k] - s.s2) / (p - 1) / p;
      s.v12 += (e1[k] - s.s1) * (e2[k] - s.s2) / (p - 1) / p;
    }
  }
  return out;
}

// Bytes one sample needs in a spectrum computation (activations of the layer's graph, counted
// generously, plus the Lanczos basis or the explicit Jacobian).
int64_t bytes_per_sample(int64_t n_in, int64_t n_out, JacobianMethod method, const ConvIsometryOptions& o) {
  const int64_t graph = (n_in + n_out) * 4 * 16;
  if (method == JacobianMethod::kExact) return n_out * graph;  // one replica of the sample per row
  return o.probes * (graph + (o.steps + 2) * std::min(n_in, n_out) * 8 * 2);
}

}  // namespace

std::string to_string(JacobianMethod m) {
  switch (m) {
    case JacobianMethod::kAuto: return "auto";
    case JacobianMethod::kExact: return "exact";
    case JacobianMethod::kLanczos: return "lanczos";
  }
  return "?";
}

JacobianMethod parse_jacobian_method(const std::string& text, const std::string& field) {
  if (text == "auto") return JacobianMethod::kAuto;
  if (text == "exact") return JacobianMethod::kExact;
  if (text == "lanczos") return JacobianMethod::kLanczos;
  throw SpecError(field + " must be one of auto, exact, lanczos, got \"" + text + "\"");
}

void SpectrumSums::add(const SpectrumSums& o) {
  s1 += o.s1, s2 += o.s2, count += o.count;
  v11 += o.v11, v22 += o.v22, v12 += o.v12;
  bound += o.bound;
}

double SpectrumSums::mean() const { return count ? s1 / count : 0.0; }

double SpectrumSums::std() const {
  if (count < 2) return 0.0;
  return std::sqrt(std::max(0.0, (s2 - s1 * s1 / count) / (count - 1)));
}

double SpectrumSums::mean_se() const { return count ? std::sqrt(std::max(0.0, v11)) / count : 0.0; }

double SpectrumSums::mean_bound() const { return count ? bound / count : 0.0; }

double SpectrumSums::std_bound() const {
  const double sd = std();
  if (count < 2 || sd <= 0) return 0.0;
  const double n = static_cast<double>(count);
  return std::abs(s1 / (n * (n - 1) * sd)) * bound;  // |d sd / d s1| times the bound on s1
}

double SpectrumSums::std_se() const {
  const double sd = std();
  if (count < 2 || sd <= 0) return std::isnan(v11) ? v11 : 0.0;
  // sd = sqrt((s2 - s1^2/N) / (N-1)): gradient (d/ds1, d/ds2), then the delta method.
  const double n = static_cast<double>(count);
  const double g1 = -s1 / (n * (n - 1) * sd), g2 = 1 / (2 * (n - 1) * sd);
  return std::sqrt(std::max(0.0, g1 * g1 * v11 + g2 * g2 * v22 + 2 * g1 * g2 * v12));
}

namespace {

EstimateError error_of(const SpectrumSums& s, const std::string& method) {
  EstimateError e;
  e.method = method;
  e.mean_se = s.mean_se();
  e.std_se = s.std_se();
  e.mean_bound = s.mean_bound();
  e.std_bound = s.std_bound();
  return e;
}

}  // namespace

IsometryResult to_isometry_result(const ConvIsometryResult& r) {
  IsometryResult out;
  std::string methods;
  for (const ConvLayerIsometry& l : r.layers) {
    out.layers.push_back({l.name, l.rows, l.cols, l.sums.mean(), l.sums.std(), l.sums.count, error_of(l.sums, l.method)});
    if (methods.empty()) methods = l.method;
    else if (methods != l.method) methods = "mixed";
  }
  out.mean = r.sums.mean();
  out.std = r.sums.std();
  out.count = r.sums.count;
  out.error = error_of(r.sums, methods);
  return out;
}

torch::Tensor explicit_jacobian(const Map& f, const torch::Tensor& z) {
  torch::AutoGradMode enable(true);
  std::vector<torch::Tensor> per_sample;
  for (int64_t b = 0; b < z.size(0); ++b) {
    const torch::Tensor one = z.narrow(0, b, 1).detach();
    int64_t n_out = 0;
    {
      torch::NoGradGuard no_grad;
      n_out = f(one).numel();
    }
    const int64_t n_in = one.numel();
    const int64_t chunk = std::max<int64_t>(1, std::min(n_out, kBudgetBytes / ((n_in + n_out) * 4 * 16)));
    std::vector<torch::Tensor> rows;
    for (int64_t start = 0; start < n_out; start += chunk) {
      const int64_t r = std::min(chunk, n_out - start);
      std::vector<int64_t> shape(one.sizes().begin(), one.sizes().end());
      shape[0] = r;
      const torch::Tensor x = one.expand(shape).clone().requires_grad_(true);
      const torch::Tensor y = f(x).reshape({r, n_out});
      // Row i of the replicated batch asks for output unit start + i: an identity block.
      const torch::Tensor seed = torch::eye(n_out, y.options()).narrow(0, start, r);
      rows.push_back(torch::autograd::grad({y}, {x}, {seed})[0].reshape({r, n_in}));
    }
    per_sample.push_back(torch::cat(rows));
  }
  return torch::stack(per_sample);
}

std::vector<SpectrumSums> jacobian_spectrum(const Map& f, const torch::Tensor& z, JacobianMethod method,
                                            const ConvIsometryOptions& o, uint64_t probe_seed) {
  if (method == JacobianMethod::kAuto) throw Error("jacobian_spectrum needs exact or lanczos");
  if (o.steps < 1 || o.probes < 1) throw SpecError("isometry: Lanczos steps and probes must be at least 1");
  int64_t n_out = 0;
  {
    torch::NoGradGuard no_grad;
    n_out = per_sample_numel(f(z.narrow(0, 0, std::min<int64_t>(1, z.size(0)))));
  }
  const int64_t n_in = per_sample_numel(z);
  const int64_t chunk = std::max<int64_t>(1, kBudgetBytes / bytes_per_sample(n_in, n_out, method, o));
  std::vector<SpectrumSums> out;
  for (int64_t start = 0; start < z.size(0); start += chunk) {
    const torch::Tensor part = z.narrow(0, start, std::min(chunk, z.size(0) - start));
    if (method == JacobianMethod::kExact) {
      const torch::Tensor j = explicit_jacobian(f, part);
      for (int64_t b = 0; b < j.size(0); ++b) out.push_back(exact_sums(j[b]));
    } else {
      for (SpectrumSums& s : lanczos_sums(f, part, o, probe_seed + start)) out.push_back(s);
    }
  }
  return out;
}

ConvIsometryResult measure_conv_isometry(NetworkImpl& network, const torch::Tensor& inputs,
                                         const ConvIsometryOptions& o) {
  if (o.batch_size < 1) throw SpecError("isometry batch size must be at least 1");
  if (inputs.size(0) < 1) throw SpecError("isometry needs at least one input sample");
  SampleStatistics statistics(network, inputs);
  ConvIsometryResult result;
  for (int64_t start = 0; start < inputs.size(0); start += o.batch_size) {
    const int64_t b = std::min(o.batch_size, inputs.size(0) - start);
    std::vector<LayerMap> maps;
    {
      torch::NoGradGuard no_grad;
      maps = network.layer_maps(inputs.narrow(0, start, b));
    }
    for (size_t k = 0; k < maps.size(); ++k) {
      if (result.layers.size() <= k) {
        torch::NoGradGuard no_grad;
        ConvLayerIsometry layer;
        layer.name = maps[k].name;
        layer.cols = per_sample_numel(maps[k].input);
        layer.rows = per_sample_numel(maps[k].apply(maps[k].input.narrow(0, 0, 1)));
        const bool exact = o.method == JacobianMethod::kExact ||
                           (o.method == JacobianMethod::kAuto && layer.rows * layer.cols <= o.exact_max_entries);
        layer.method = exact ? "exact" : "lanczos";
        result.layers.push_back(layer);
      }
      ConvLayerIsometry& layer = result.layers[k];
      const JacobianMethod method = layer.method == "exact" ? JacobianMethod::kExact : JacobianMethod::kLanczos;
      const uint64_t seed = splitmix(o.seed ^ (uint64_t{k + 1} << 40)) + static_cast<uint64_t>(start);
      for (const SpectrumSums& s : jacobian_spectrum(maps[k].apply, maps[k].input, method, o, seed)) layer.sums.add(s);
    }
    if (o.progress) o.progress(start + b, inputs.size(0));
  }
  for (const ConvLayerIsometry& layer : result.layers) result.sums.add(layer.sums);
  return result;
}

}  // namespace nnmass
