// Packed dense MLPs; see packed_mlp.h. The per-model loops below are written so that GCC
// vectorises them over the batch (16 lanes, one AVX-512 register) and keeps a block of output
// neurons in registers; target_clones picks the AVX-512, AVX2 or plain build at load time.
#include "nnmass/nn/packed_mlp.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "nnmass/error.h"

namespace nnmass {
namespace {

constexpr int64_t kLane = 16;
enum Plane { kValue = 0, kPhi = 1, kDerivative = 2, kGradient = 3 };

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NNMASS_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NNMASS_CLONES
#endif
#define NNMASS_INLINE inline __attribute__((always_inline))

// 16 floats: one AVX-512 register (two AVX2 ones; emulated in the plain clone), written with GCC's
// vector extensions so every loop below is vectorised whatever the optimiser decides. Rows are
// 64-byte aligned (lanes are a multiple of 16 and torch aligns its allocations).
typedef float Vec __attribute__((vector_size(64)));
typedef int32_t IVec __attribute__((vector_size(64)));

NNMASS_INLINE Vec load(const float* p) { return *reinterpret_cast<const Vec*>(p); }
NNMASS_INLINE void store(float* p, Vec v) { *reinterpret_cast<Vec*>(p) = v; }
NNMASS_INLINE Vec splat(float x) { return Vec{} + x; }
typedef float UnalignedVec __attribute__((vector_size(64), aligned(4)));

// exp(x) - 1 and exp(x) for x <= 0 in plain arithmetic, so that loops calling them vectorise
// (std::exp does not): Cody-Waite reduction x = n ln2 + r and Cephes' degree-7 polynomial, ~1 ulp.
// Near 0 (n = 0) exp(x) - 1 is the polynomial without its leading 1, as expm1: ELU's small
// negative outputs keep their relative precision (deep plain MLPs live there). Inputs below -87
// are clamped, which keeps every result a normal float (denormals are slow).
struct ExpParts {
  Vec m1;   // exp(x) - 1
  Vec exp;  // exp(x)
};
NNMASS_INLINE ExpParts exp_nonpositive(Vec x) {
  x = x < splat(-87.0f) ? splat(-87.0f) : x;
  const Vec y = x * 1.44269504088896341f + 0.5f;  // n = floor(y): truncate, then correct
  const Vec t = __builtin_convertvector(__builtin_convertvector(y, IVec), Vec);
  const Vec n = t > y ? t - 1.0f : t;
  const Vec r = x - n * 0.693359375f + n * 2.12194440e-4f;
  Vec p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const Vec q = p * r * r + r;  // exp(r) - 1
  const Vec scale = reinterpret_cast<Vec>((__builtin_convertvector(n, IVec) + 127) << 23);
  const Vec e = (q + 1.0f) * scale;
  return {n == splat(0.0f) ? q : e - 1.0f, e};
}

// phi(x) for a vector; ELU from the expm1 form.
NNMASS_INLINE Vec phi(Vec x, bool elu) {
  const Vec zero = splat(0.0f);
  if (!elu) return x > zero ? x : zero;
  return x > zero ? x : exp_nonpositive(x < zero ? x : zero).m1;
}

// One layer of one model, as raw pointers (the kernels are torch-free).
struct KernelLayer {
  const float* weight;  // [out][fan_max]
  const float* bias;    // [out]
  float* weight_grad;
  float* bias_grad;
  const int32_t* rows;  // [fan]: buffer rows of the input columns
  int64_t fan, fan_max, out, out_row;
  bool external, phi_in, phi_out, logits;
};

// One model's buffers: [rows][lanes] planes of values, phi(values), phi'(values), gradients.
struct ModelBuffers {
  float* value;
  float* phi;
  float* derivative;
  float* grad;
  int64_t lanes;
};

// phi and phi' of `count` rows starting at `row` (values -> phi, derivative planes).
NNMASS_INLINE void activate_rows(const ModelBuffers& m, int64_t row, int64_t count, bool elu) {
  const int64_t n = count * m.lanes, start = row * m.lanes;
  const Vec zero = splat(0.0f), one = splat(1.0f);
  for (int64_t j = 0; j < n; j += kLane) {
    const Vec v = load(m.value + start + j);
    if (elu) {
      const ExpParts e = exp_nonpositive(v < zero ? v : zero);
      store(m.phi + start + j, v > zero ? v : e.m1);
      store(m.derivative + start + j, v > zero ? one : e.exp);
    } else {
      store(m.phi + start + j, v > zero ? v : zero);
      store(m.derivative + start + j, v > zero ? one : zero);
    }
  }
}

// out[j][lane] = bias[j] + sum_f weight[j][f] * src[rows[f]][lane] for OB outputs and NC
// chunks of 16 lanes at once (two chunks halve the weight loads per multiply-add).
template <int OB, int NC>
NNMASS_INLINE void forward_chunks(const KernelLayer& L, int64_t o, const float* src, int64_t lanes, int64_t c,
                                  float* out) {
  Vec acc[OB][NC];
  for (int j = 0; j < OB; ++j)
    for (int n = 0; n < NC; ++n) acc[j][n] = Vec{} + L.bias[o + j];
  for (int64_t f = 0; f < L.fan; ++f) {
    const float* row = src + L.rows[f] * lanes + c;
    Vec in[NC];
    for (int n = 0; n < NC; ++n) in[n] = load(row + n * kLane);
    for (int j = 0; j < OB; ++j) {
      const float w = L.weight[(o + j) * L.fan_max + f];
      for (int n = 0; n < NC; ++n) acc[j][n] += w * in[n];
    }
  }
  for (int j = 0; j < OB; ++j)
    for (int n = 0; n < NC; ++n) store(out + (o + j) * lanes + c + n * kLane, acc[j][n]);
}

template <int OB>
NNMASS_INLINE void forward_block(const KernelLayer& L, int64_t o, const float* src, int64_t lanes, float* out) {
  int64_t c = 0;
  for (; c + 2 * kLane <= lanes; c += 2 * kLane) forward_chunks<OB, 2>(L, o, src, lanes, c, out);
  if (c < lanes) forward_chunks<OB, 1>(L, o, src, lanes, c, out);
}

// For input column f: dW[j][f] = sum_lane dH[j] in, and tmp[lane] += sum_j W[j][f] dH[j][lane].
template <int OB>
NNMASS_INLINE void backward_block(const KernelLayer& L, int64_t o, int64_t f, const float* dh, const float* in,
                                  int64_t lanes, float* tmp) {
  Vec dw[OB];
  float w[OB];
  for (int j = 0; j < OB; ++j) dw[j] = Vec{}, w[j] = L.weight[(o + j) * L.fan_max + f];
  for (int64_t c = 0; c < lanes; c += kLane) {
    const Vec x = load(in + c);
    Vec t = load(tmp + c);
    for (int j = 0; j < OB; ++j) {
      const Vec h = load(dh + (o + j) * lanes + c);
      t += w[j] * h;
      dw[j] += h * x;
    }
    store(tmp + c, t);
  }
  for (int j = 0; j < OB; ++j) {
    float s = 0;
    for (int l = 0; l < kLane; ++l) s += dw[j][l];
    L.weight_grad[(o + j) * L.fan_max + f] = s;
  }
}

// The external layer's weight gradient for OB outputs, dW[j][f] = sum_b dH[j][b] x[b][f], vectorised
// over f from the batch in its own layout ([batch][features rounded up to 16]): no horizontal sums,
// which would otherwise cost more than the multiply-adds for a 784-wide layer.
template <int OB>
NNMASS_INLINE void external_weight_grad(const KernelLayer& L, int64_t o, const float* dh, int64_t lanes,
                                        const float* x, int64_t batch, int64_t stride) {
  for (int64_t f = 0; f < L.fan; f += kLane) {
    Vec acc[OB];
    for (int j = 0; j < OB; ++j) acc[j] = Vec{};
    for (int64_t b = 0; b < batch; ++b) {
      const Vec xv = load(x + b * stride + f);
      for (int j = 0; j < OB; ++j) acc[j] += dh[(o + j) * lanes + b] * xv;
    }
    for (int j = 0; j < OB; ++j) {
      float* target = L.weight_grad + (o + j) * L.fan_max + f;
      if (f + kLane <= L.fan) {
        *reinterpret_cast<UnalignedVec*>(target) = acc[j];
      } else {
        for (int64_t l = 0; l < L.fan - f; ++l) target[l] = acc[j][l];
      }
    }
  }
}

// A whole layer's outputs in blocks of 8, 4, 2, 1 (no lambdas: a lambda is a function of its own,
// not compiled for the caller's target clone).
NNMASS_INLINE void forward_layer(const KernelLayer& L, const float* src, int64_t lanes, float* out) {
  int64_t o = 0;
  for (; o + 8 <= L.out; o += 8) forward_block<8>(L, o, src, lanes, out);
  if (o + 4 <= L.out) forward_block<4>(L, o, src, lanes, out), o += 4;
  if (o + 2 <= L.out) forward_block<2>(L, o, src, lanes, out), o += 2;
  if (o < L.out) forward_block<1>(L, o, src, lanes, out);
}

NNMASS_INLINE void backward_column(const KernelLayer& L, int64_t f, const float* dh, const float* in, int64_t lanes,
                                   float* tmp) {
  int64_t o = 0;
  for (; o + 8 <= L.out; o += 8) backward_block<8>(L, o, f, dh, in, lanes, tmp);
  if (o + 4 <= L.out) backward_block<4>(L, o, f, dh, in, lanes, tmp), o += 4;
  if (o + 2 <= L.out) backward_block<2>(L, o, f, dh, in, lanes, tmp), o += 2;
  if (o < L.out) backward_block<1>(L, o, f, dh, in, lanes, tmp);
}

// The forward pass of one model. `input`: its batch, transposed, [features][lanes] (zero lanes
// past the batch).
NNMASS_CLONES void forward_model(const std::vector<KernelLayer>& layers, const ModelBuffers& m, bool elu,
                                 const float* input) {
  for (const KernelLayer& L : layers) {
    float* out = m.value + L.out_row * m.lanes;
    forward_layer(L, L.external ? input : L.phi_in ? m.phi : m.value, m.lanes, out);
    if (L.phi_out) {  // h = phi(L z): the value stored is the activation
      const int64_t n = L.out * m.lanes;
      for (int64_t j = 0; j < n; j += kLane) store(out + j, phi(load(out + j), elu));
    }
    if (!L.logits) activate_rows(m, L.out_row, L.out, elu);
  }
}

// Mean (or summed) cross-entropy of the logits rows; writes d(loss)/d(logits) into the gradient
// plane when `grad_scale` is not zero. Lanes past `batch` get zero gradient. `scratch`: two
// aligned rows.
NNMASS_CLONES void cross_entropy(const ModelBuffers& m, int64_t row, int64_t classes, const int64_t* labels,
                                 int64_t batch, float grad_scale, float* scratch, double* loss, int64_t* correct) {
  const int64_t lanes = m.lanes;
  const float* v = m.value + row * lanes;
  float* top = scratch;
  float* sum = scratch + lanes;
  for (int64_t b = 0; b < lanes; b += kLane) {
    Vec t = load(v + b);
    for (int64_t c = 1; c < classes; ++c) {
      const Vec x = load(v + c * lanes + b);
      t = x > t ? x : t;
    }
    Vec s = Vec{};
    for (int64_t c = 0; c < classes; ++c) s += exp_nonpositive(load(v + c * lanes + b) - t).exp;
    store(top + b, t);
    store(sum + b, s);
  }
  double total = 0;
  int64_t hits = 0;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t y = labels[b];
    total += std::log(static_cast<double>(sum[b])) + top[b] - v[y * lanes + b];
    int64_t arg = 0;  // the first maximum, as torch's argmax
    for (int64_t c = 1; c < classes; ++c)
      if (v[c * lanes + b] > v[arg * lanes + b]) arg = c;
    hits += arg == y;
  }
  // A NaN logit fails every comparison above: the loss must say so.
  for (int64_t c = 0; c < classes; ++c)
    for (int64_t b = 0; b < batch; ++b)
      if (std::isnan(v[c * lanes + b])) total = NAN;
  *loss = total;
  *correct = hits;
  if (grad_scale == 0) return;
  float* g = m.grad + row * lanes;
  for (int64_t c = 0; c < classes; ++c)
    for (int64_t b = 0; b < lanes; b += kLane)
      store(g + c * lanes + b, exp_nonpositive(load(v + c * lanes + b) - load(top + b)).exp / load(sum + b) * grad_scale);
  for (int64_t b = 0; b < batch; ++b) g[labels[b] * lanes + b] -= grad_scale;
  for (int64_t c = 0; c < classes; ++c) std::fill(g + c * lanes + batch, g + (c + 1) * lanes, 0.0f);
}

// The backward pass of one model (gradient plane already holds d(loss)/d(logits)): weight and
// bias gradients of every layer (the external layer's input, the batch, gets none). `rows_input`:
// the batch as [batch][stride] floats, stride = features rounded up to 16.
NNMASS_CLONES void backward_model(const std::vector<KernelLayer>& layers, const ModelBuffers& m, bool elu,
                                  float* tmp, const float* rows_input, int64_t batch, int64_t stride) {
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    const KernelLayer& L = *it;
    float* dh = m.grad + L.out_row * m.lanes;
    const int64_t n = L.out * m.lanes;
    if (L.phi_out) {  // through h = phi(pre): phi'(pre) from h itself
      const float* h = m.value + L.out_row * m.lanes;
      for (int64_t j = 0; j < n; ++j) dh[j] *= h[j] > 0 ? 1.0f : (elu ? h[j] + 1.0f : 0.0f);
    }
    for (int64_t o = 0; o < L.out; ++o) {
      float s = 0;
      for (int64_t b = 0; b < m.lanes; ++b) s += dh[o * m.lanes + b];
      L.bias_grad[o] = s;
    }
    if (L.external) {
      int64_t o = 0;
      for (; o + 8 <= L.out; o += 8) external_weight_grad<8>(L, o, dh, m.lanes, rows_input, batch, stride);
      for (; o < L.out; ++o) external_weight_grad<1>(L, o, dh, m.lanes, rows_input, batch, stride);
      continue;
    }
    const float* src = L.phi_in ? m.phi : m.value;
    for (int64_t f = 0; f < L.fan; ++f) {
      const int64_t r = L.rows[f];
      std::fill(tmp, tmp + m.lanes, 0.0f);
      backward_column(L, f, dh, src + r * m.lanes, m.lanes, tmp);
      float* g = m.grad + r * m.lanes;
      if (L.phi_in) {
        const float* d = m.derivative + r * m.lanes;
        for (int64_t b = 0; b < m.lanes; ++b) g[b] += tmp[b] * d[b];
      } else {
        for (int64_t b = 0; b < m.lanes; ++b) g[b] += tmp[b];
      }
    }
  }
}

int64_t round_up(int64_t n, int64_t k) { return (n + k - 1) / k * k; }

}  // namespace

PackedMlp::PackedMlp(const std::vector<const DenseMlpImpl*>& models) {
  if (models.empty()) throw SpecError("a pack needs at least one model");
  const Spec& spec = models.front()->spec();
  const std::string key = pack_key(spec);
  for (const DenseMlpImpl* m : models)
    if (pack_key(m->spec()) != key)
      throw SpecError("models of one pack must share their layer structure: " + key + " vs " + pack_key(m->spec()));
  const int64_t K = static_cast<int64_t>(models.size());
  activation_ = spec.activation;
  features_ = models.front()->cells().front()->layers.front()->options.in_features();
  classes_ = spec.classes;
  alive_.assign(K, true);
  torch::NoGradGuard no_grad;
  // Rows: the outputs of every layer of every cell, in order.
  std::vector<std::vector<int64_t>> out_row(spec.cells.size());
  for (size_t c = 0; c < spec.cells.size(); ++c) {
    const Cell& cell = spec.cells[c];
    const bool last_cell = c + 1 == spec.cells.size();
    for (int k = 0; k < cell.depth; ++k) {
      Layer L;
      L.out = last_cell && k + 1 == cell.depth ? spec.classes : cell.width;
      L.out_row = rows_;
      out_row[c].push_back(rows_);
      rows_ += L.out;
      L.external = c == 0 && k == 0;
      L.phi_out = k == 0;
      L.logits = last_cell && k + 1 == cell.depth;
      L.phi_in = k >= 2 && !L.logits;
      for (const DenseMlpImpl* m : models) {
        std::vector<int32_t> rows;
        const auto add = [&](int64_t first, int64_t count) {
          for (int64_t j = 0; j < count; ++j) rows.push_back(static_cast<int32_t>(first + j));
        };
        if (L.external) add(0, features_);  // rows of the transposed batch
        if (k == 0 && c > 0) add(out_row[c - 1].back(), spec.cells[c - 1].width);
        if (k == 1) add(out_row[c][0], cell.width);
        if (k >= 2) {
          add(out_row[c][k - 1], cell.width);
          for (const LinkSource& s : m->links().cells[c].layers[k]) add(out_row[c][s.layer] + s.channel, 1);
        }
        L.fan_max = std::max<int64_t>(L.fan_max, rows.size());
        L.rows.push_back(std::move(rows));
      }
      L.weight = torch::zeros({K, L.out, L.fan_max});
      L.bias = torch::zeros({K, L.out});
      for (int64_t i = 0; i < K; ++i) {
        const torch::nn::Linear& linear = models[i]->cells()[c]->layers[k];
        L.weight[i].narrow(1, 0, linear->weight.size(1)).copy_(linear->weight);
        L.bias[i].copy_(linear->bias);
      }
      L.weight.mutable_grad() = torch::zeros_like(L.weight);  // FlatOptimizer re-seats these
      L.bias.mutable_grad() = torch::zeros_like(L.bias);
      layers_.push_back(std::move(L));
    }
  }
}

std::vector<torch::Tensor> PackedMlp::parameters() const {
  std::vector<torch::Tensor> params;
  for (const Layer& L : layers_) {
    params.push_back(L.weight);
    params.push_back(L.bias);
  }
  return params;
}

void PackedMlp::reserve(int64_t lanes) {
  if (lanes == lanes_) return;
  lanes_ = lanes;
  buffers_ = torch::zeros({size(), 4, rows_, lanes});
}

PackStep PackedMlp::step(const std::vector<PackBatch>& batches, bool gradients, bool sum_loss) {
  torch::NoGradGuard no_grad;
  const int64_t K = size(), B = checked_batch_size(batches, K);
  reserve(round_up(B, kLane));
  // Each batch transposed once, [features][lanes], for the models that share it: the first
  // layer runs in the same per-model kernels as the others, so a model's numbers never depend
  // on how many models share its pack (a sweep resumed after a kill is bit-identical).
  std::vector<torch::Tensor> transposed, padded, labels(K);
  std::vector<const float*> input(K), rows_input(K);
  const int64_t stride = round_up(features_, kLane);
  for (const PackBatch& p : batches) {
    const torch::Tensor x = p.x.reshape({B, -1}).to(torch::kFloat32);
    if (x.size(1) != features_)
      throw SpecError("input has " + std::to_string(x.size(1)) + " features per sample, the MLP expects " +
                      std::to_string(features_));
    transposed.push_back(torch::zeros({features_, lanes_}));
    transposed.back().narrow(1, 0, B).copy_(x.t());
    if (gradients) {  // the first layer's weight gradient reads the batch in its own layout
      padded.push_back(torch::zeros({B, stride}));  // a fresh allocation: 64-byte aligned rows
      padded.back().narrow(1, 0, features_).copy_(x);
    }
    const torch::Tensor y = p.labels.to(torch::kInt64).contiguous();
    for (int64_t i = p.first; i < p.first + p.count; ++i) {
      labels[i] = y;
      input[i] = transposed.back().data_ptr<float>();
      rows_input[i] = gradients ? padded.back().data_ptr<float>() : nullptr;
    }
  }
  PackStep result;
  result.loss.assign(K, 0.0);
  result.correct.assign(K, 0);
  const bool elu = activation_ == Activation::kElu;
  const int64_t lanes = lanes_;
  const float grad_scale = gradients ? 1.0f / static_cast<float>(B) : 0.0f;
  at::parallel_for(0, K, 1, [&](int64_t begin, int64_t end) {
    // 64-byte aligned scratch row for the backward pass's vector loads
    const torch::Tensor scratch = torch::empty({3 * lanes});
    float* tmp = scratch.data_ptr<float>();
    for (int64_t i = begin; i < end; ++i) {
      if (!alive_[i]) continue;
      float* base = buffers_[i].data_ptr<float>();
      const int64_t plane = rows_ * lanes;
      const ModelBuffers m{base, base + plane, base + 2 * plane, base + 3 * plane, lanes};
      std::vector<KernelLayer> kl;
      kl.reserve(layers_.size());
      for (const Layer& L : layers_) {
        const int64_t span = L.out * L.fan_max;
        kl.push_back({L.weight.data_ptr<float>() + i * span, L.bias.data_ptr<float>() + i * L.out,
                      gradients ? L.weight.grad().data_ptr<float>() + i * span : nullptr,
                      gradients ? L.bias.grad().data_ptr<float>() + i * L.out : nullptr, L.rows[i].data(),
                      static_cast<int64_t>(L.rows[i].size()), L.fan_max, L.out, L.out_row, L.external, L.phi_in,
                      L.phi_out, L.logits});
      }
      forward_model(kl, m, elu, input[i]);
      if (gradients) std::fill(m.grad, m.grad + plane, 0.0f);
      const Layer& last = layers_.back();
      cross_entropy(m, last.out_row, last.out, labels[i].data_ptr<int64_t>(), B, sum_loss ? 0.0f : grad_scale, tmp + lanes,
                    &result.loss[i], &result.correct[i]);
      if (!sum_loss) result.loss[i] /= static_cast<double>(B);
      if (!gradients) continue;
      backward_model(kl, m, elu, tmp, rows_input[i], B, stride);
    }
  });
  return result;
}

void PackedMlp::stop(int64_t i) {
  torch::NoGradGuard no_grad;
  alive_[i] = false;
  for (Layer& L : layers_) {
    for (torch::Tensor t : {L.weight, L.bias}) {
      t[i].zero_();
      if (t.grad().defined()) t.grad()[i].zero_();
    }
  }
}

void PackedMlp::copy_to(int64_t i, DenseMlpImpl& model) const {
  torch::NoGradGuard no_grad;
  size_t next = 0;
  for (const auto& cell : model.cells())
    for (const torch::nn::Linear& linear : cell->layers) {
      const Layer& L = layers_.at(next++);
      linear->weight.copy_(L.weight[i].narrow(1, 0, linear->weight.size(1)));
      linear->bias.copy_(L.bias[i]);
    }
}

int64_t PackedMlp::bytes_per_model(const Spec& spec, int64_t batch) {
  int64_t rows = 0, params = 0, fan = 1;
  for (int64_t d : spec.input) fan *= d;
  for (size_t c = 0; c < spec.cells.size(); ++c) {
    const Cell& cell = spec.cells[c];
    for (int k = 0; k < cell.depth; ++k) {
      const int64_t out = c + 1 == spec.cells.size() && k + 1 == cell.depth ? spec.classes : cell.width;
      const int64_t in = k == 0 ? fan : cell.width + layer_link_count(cell, k);
      rows += out;
      params += out * (in + 1);
    }
    fan = cell.width;
  }
  const int64_t lanes = round_up(batch, kLane);
  // four planes; weights, gradients and two optimizer moments
  return int64_t{4} * (4 * rows * lanes + 4 * params);  // the transposed batch is shared
}

}  // namespace nnmass
