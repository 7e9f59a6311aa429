#pragma once
// Kandinsky 3's encode_prompt (_cut_context=True): tokenize to 128, run the T5 encoder, zero the
// padded positions, cut to max(sum(mask)) + 1 tokens over the batch, and build the unconditional
// branch (zeros and an all-zero mask without a negative prompt; the negative prompt's embeddings
// cut to the positive length otherwise). Encodings are cached by prompt text, so the text
// encoder can be released once every prompt of a run is encoded.
// Follows diffusers pipelines/kandinsky3/pipeline_kandinsky3.py (encode_prompt, process_embeds).
#include "src/public/t5_tokenizer.h"
#include "src/models/text_encoder.h"

#include <torch/torch.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace k3 {

struct EncodedPrompts {
  torch::Tensor prompt_embeds;            // (B, L, D) in the text encoder's dtype, zero on padding
  torch::Tensor attention_mask;           // (B, L) int64
  torch::Tensor negative_prompt_embeds;   // (B, L, D); undefined without guidance
  torch::Tensor negative_attention_mask;  // (B, L) int64; undefined without guidance
};

// The UNet's conditioning for classifier-free guidance: cat([negative, positive]) and the mask
// as bool, unconditional first (or the positive part alone without guidance).
struct GuidanceBatch {
  torch::Tensor embeds;  // (2B or B, L, D)
  torch::Tensor mask;    // (2B or B, L) bool
  // Composable prompts (one image): when not empty, the rows are [uncond, cond_1 .. cond_K]
  // (guided) or [cond_1 .. cond_K], and these are the K weights (pipeline.h).
  std::vector<double> weights;
};
GuidanceBatch guidance_batch(const EncodedPrompts& encoded);

class PromptEncoder {
 public:
  PromptEncoder(T5Tokenizer tokenizer, T5Encoder encoder, int max_length = 128);
  // `encoder` may be null: then only cached (or loaded) embeddings can be used, in `dtype` on `device`.
  PromptEncoder(T5Tokenizer tokenizer, std::unique_ptr<TextEncoder> encoder, torch::ScalarType dtype,
                torch::Device device, int max_length = 128);

  // `negative_prompts`: nullopt = no negative prompt (zeros, mask 0); otherwise one per prompt.
  // `guidance` false returns the positive half only. Throws Error for an uncached prompt after
  // release_text_encoder(), ConfigError for a negative list of another size.
  EncodedPrompts encode(const std::vector<std::string>& prompts, bool guidance,
                        const std::optional<std::vector<std::string>>& negative_prompts = std::nullopt);

  // Encodes (and caches) these texts now.
  void precompute(const std::vector<std::string>& texts);
  bool is_cached(const std::string& text) const { return cache_.count(text) != 0; }
  void clear_cache() { cache_.clear(); }
  std::size_t cache_size() const { return cache_.size(); }

  // Frees the T5 encoder (the largest model); cached prompts keep working.
  void release_text_encoder();
  // Puts a text encoder (back) for prompts not cached yet.
  void attach_text_encoder(std::unique_ptr<TextEncoder> encoder);
  bool has_text_encoder() const { return static_cast<bool>(encoder_); }
  // The cached embeddings of `texts` (all when empty) as one safetensors file (tensor i = the
  // i-th text's rows; the texts in the metadata), and back: a resumed render needs no text encoder.
  // load_cache adds what the file holds (converted to this encoder's dtype and device) and throws
  // FileError naming the file when it is not such a file or its width differs from `width`.
  void save_cache(const std::string& path, const std::vector<std::string>& texts = {}) const;
  void load_cache(const std::string& path, int64_t width);
  const T5Tokenizer& tokenizer() const { return tokenizer_; }

 private:
  struct CachedText {
    torch::Tensor embeds;  // (n, D): T5 output times mask over the n real tokens (</s> included)
    int64_t length = 0;    // n = sum(mask)
  };
  const CachedText& lookup(const std::string& text) const;
  // (B, L, D) and (B, L) from cached rows, each cut or zero-padded to L.
  std::pair<torch::Tensor, torch::Tensor> assemble(const std::vector<std::string>& texts, int64_t length) const;

  T5Tokenizer tokenizer_;
  std::unique_ptr<TextEncoder> encoder_;
  int max_length_;
  torch::ScalarType dtype_;
  torch::Device device_;
  std::map<std::string, CachedText> cache_;
};

}  // namespace k3
