// Follows diffusers pipelines/kandinsky3/pipeline_kandinsky3.py (encode_prompt with
// _cut_context=True, process_embeds) and its CFG concatenation in __call__.
#include "src/pipeline/prompt_encoder.h"

#include "base/errors.h"

#include <algorithm>

namespace k3 {

GuidanceBatch guidance_batch(const EncodedPrompts& encoded) {
  if (!encoded.negative_prompt_embeds.defined()) return {encoded.prompt_embeds, encoded.attention_mask.to(torch::kBool), {}};
  return {torch::cat({encoded.negative_prompt_embeds, encoded.prompt_embeds}),
          torch::cat({encoded.negative_attention_mask, encoded.attention_mask}).to(torch::kBool), {}};
}

PromptEncoder::PromptEncoder(T5Tokenizer tokenizer, T5Encoder encoder, int max_length)
    : PromptEncoder(std::move(tokenizer), make_resident_text_encoder(encoder), encoder->shared->weight.scalar_type(),
                    encoder->shared->weight.device(), max_length) {}

PromptEncoder::PromptEncoder(T5Tokenizer tokenizer, std::unique_ptr<TextEncoder> encoder, torch::ScalarType dtype,
                             torch::Device device, int max_length)
    : tokenizer_(std::move(tokenizer)), encoder_(std::move(encoder)), max_length_(max_length), dtype_(dtype), device_(device) {}

void PromptEncoder::precompute(const std::vector<std::string>& texts) {
  std::vector<std::string> missing;
  for (const auto& text : texts)
    if (!cache_.count(text) && std::find(missing.begin(), missing.end(), text) == missing.end()) missing.push_back(text);
  if (missing.empty()) return;
  if (!encoder_)
    throw Error("prompt encoder: expected the text encoder for the uncached prompt '" + missing.front().substr(0, 60) +
                "', got it released (precompute every prompt before releasing it)");
  std::vector<int64_t> ids, mask;
  for (const auto& encoding : tokenizer_.encode_batch(missing, max_length_)) {
    ids.insert(ids.end(), encoding.ids.begin(), encoding.ids.end());
    mask.insert(mask.end(), encoding.mask.begin(), encoding.mask.end());
  }
  const auto batch = static_cast<int64_t>(missing.size());
  auto ids_tensor = torch::tensor(ids, torch::kLong).view({batch, max_length_}).to(device_);
  auto mask_tensor = torch::tensor(mask, torch::kLong).view({batch, max_length_}).to(device_);
  auto hidden = encoder_->forward(ids_tensor, mask_tensor);
  // E * mask zeroes the padded positions (process_embeds' E[mask == 0] = 0 followed by E * mask).
  auto masked = (hidden * mask_tensor.unsqueeze(2)).to(dtype_);
  auto lengths = mask_tensor.sum(1).to(torch::kCPU);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t n = lengths[b].item<int64_t>();
    cache_[missing[static_cast<std::size_t>(b)]] = {masked[b].narrow(0, 0, n).clone(), n};
  }
}

const PromptEncoder::CachedText& PromptEncoder::lookup(const std::string& text) const {
  auto it = cache_.find(text);
  if (it == cache_.end()) throw Error("prompt encoder: prompt '" + text.substr(0, 60) + "' was not encoded");
  return it->second;
}

std::pair<torch::Tensor, torch::Tensor> PromptEncoder::assemble(const std::vector<std::string>& texts, int64_t length) const {
  const auto& first = lookup(texts.front());
  const int64_t dim = first.embeds.size(1);
  auto embeds = torch::zeros({static_cast<int64_t>(texts.size()), length, dim}, first.embeds.options());
  auto mask = torch::zeros({static_cast<int64_t>(texts.size()), length}, torch::TensorOptions().dtype(torch::kLong).device(device_));
  for (std::size_t b = 0; b < texts.size(); ++b) {
    const auto& cached = lookup(texts[b]);
    const int64_t n = std::min(cached.length, length);
    embeds[static_cast<int64_t>(b)].narrow(0, 0, n).copy_(cached.embeds.narrow(0, 0, n));
    mask[static_cast<int64_t>(b)].narrow(0, 0, n).fill_(1);
  }
  return {embeds, mask};
}

EncodedPrompts PromptEncoder::encode(const std::vector<std::string>& prompts, bool guidance,
                                     const std::optional<std::vector<std::string>>& negative_prompts) {
  if (prompts.empty()) throw ConfigError("prompts: expected at least one prompt, got none");
  if (negative_prompts && negative_prompts->size() != prompts.size())
    throw ConfigError("negative prompts: expected " + std::to_string(prompts.size()) + " (one per prompt), got " +
                      std::to_string(negative_prompts->size()));
  std::vector<std::string> all = prompts;
  if (guidance && negative_prompts) all.insert(all.end(), negative_prompts->begin(), negative_prompts->end());
  precompute(all);

  // L = max over the batch of the real tokens, plus one padding slot, at most max_length.
  int64_t length = 0;
  for (const auto& prompt : prompts) length = std::max(length, lookup(prompt).length);
  length = std::min<int64_t>(length + 1, max_length_);

  EncodedPrompts out;
  std::tie(out.prompt_embeds, out.attention_mask) = assemble(prompts, length);
  if (!guidance) return out;
  if (negative_prompts) {
    std::tie(out.negative_prompt_embeds, out.negative_attention_mask) = assemble(*negative_prompts, length);
  } else {
    out.negative_prompt_embeds = torch::zeros_like(out.prompt_embeds);
    out.negative_attention_mask = torch::zeros_like(out.attention_mask);
  }
  return out;
}

void PromptEncoder::release_text_encoder() { encoder_.reset(); }

void PromptEncoder::attach_text_encoder(std::unique_ptr<TextEncoder> encoder) { encoder_ = std::move(encoder); }

}  // namespace k3
