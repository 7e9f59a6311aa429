// Follows diffusers models/attention_processor.py (AttnProcessor / get_attention_scores).
#include "src/nn/attention.h"

#include <torch/version.h>

#include <algorithm>

namespace k3 {

namespace {
// [B, L, H*D] -> [B, H, L, D]
torch::Tensor split_heads(const torch::Tensor& x, int64_t heads) {
  return x.view({x.size(0), x.size(1), heads, x.size(2) / heads}).transpose(1, 2);
}

torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k_t, const torch::Tensor& v, double scale,
                     const torch::Tensor& mask) {
  auto scores = torch::matmul(q, k_t).mul_(scale);
  if (mask.defined()) scores.add_(mask);
  torch::Tensor probabilities;
  if (scores.scalar_type() == torch::kHalf || scores.scalar_type() == torch::kBFloat16)
    probabilities = torch::softmax(scores, -1, torch::kFloat).to(scores.scalar_type());
  else
    probabilities = torch::softmax(scores, -1);
  return torch::matmul(probabilities, v);
}
}  // namespace

torch::Tensor multi_head_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                   int64_t heads, double scale, const torch::Tensor& additive_mask) {
  const int64_t batch = q.size(0), query_len = q.size(1);
  auto qh = split_heads(q, heads);
  auto kh = split_heads(k, heads);
  auto vh = split_heads(v, heads);
  torch::Tensor mask;  // [B, 1, 1, Lk]
  if (additive_mask.defined()) mask = additive_mask.to(q.scalar_type()).reshape({batch, 1, 1, -1});
  torch::Tensor out;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
  if (q.is_cuda()) {
    // The fused kernel accumulates its softmax in fp32 itself and never builds the score matrix.
    out = at::scaled_dot_product_attention(qh, kh, vh, mask.defined() ? c10::optional<at::Tensor>(mask) : c10::nullopt,
                                           0.0, false, scale);
  }
#endif
  if (!out.defined()) {
    auto k_t = kh.transpose(-1, -2);
    // Bound the [chunk, Lk] score matrix per (batch, head) to about 64 Mi elements.
    const int64_t key_len = k.size(1);
    const int64_t budget = int64_t{1} << 26;
    const int64_t chunk = std::max<int64_t>(1, budget / std::max<int64_t>(1, key_len * heads * batch));
    if (chunk >= query_len) {
      out = attend(qh, k_t, vh, scale, mask);
    } else {
      std::vector<torch::Tensor> parts;
      for (int64_t start = 0; start < query_len; start += chunk)
        parts.push_back(attend(qh.narrow(2, start, std::min(chunk, query_len - start)), k_t, vh, scale, mask));
      out = torch::cat(parts, 2);
    }
  }
  return out.transpose(1, 2).reshape({batch, query_len, -1});
}

}  // namespace k3
