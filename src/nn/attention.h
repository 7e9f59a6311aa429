#pragma once
// softmax(q k^T * scale + additive_mask) v over heads, as diffusers' AttnProcessor computes it.
// Written with matmul (never at::baddbmm with beta=0: ENVIRONMENT.md trap 4); the softmax is
// accumulated in fp32 when the inputs are half/bfloat16 (like the fused SDPA kernels).
// Follows diffusers models/attention_processor.py (Attention.get_attention_scores, AttnProcessor).
#include <torch/torch.h>

#include <cstdint>

namespace k3 {

// q [B, Lq, heads*Dh], k/v [B, Lk, heads*Dh]; additive_mask undefined or broadcastable to
// [B, 1, Lk] (added to every query row of every head). Returns [B, Lq, heads*Dv].
// Long query sequences are processed in chunks so the score matrix stays bounded.
torch::Tensor multi_head_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                   int64_t heads, double scale, const torch::Tensor& additive_mask = {});

}  // namespace k3
