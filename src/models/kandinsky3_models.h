#pragma once
// Loads the components of a diffusers Kandinsky 3 folder (UNet, MoVQ, scheduler config, tokenizer +
// T5 encoder behind a prompt cache), on the device and in the dtype asked for. The T5 encoder is
// never loaded whole: it is streamed block by block from its shards (src/models/t5_streamed.h) when a
// prompt is encoded, so the text and image phases of a job never hold their weights together.
// Follows diffusers pipeline_utils.py (DiffusionPipeline.from_pretrained: model_index.json,
// per-component config.json and weights).
#include "src/models/movq.h"
#include "src/pipeline/offload.h"
#include "src/pipeline/prompt_encoder.h"
#include "src/sampling/scheduler_config.h"
#include "src/models/unet.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace k3 {

struct ModelLoadOptions {
  std::string model_dir;
  std::string variant;              // "" or "fp16" (see ModelFolder::open)
  torch::Device device = torch::kCPU;
  torch::ScalarType dtype = torch::kFloat;
  bool load_text_encoder = true;    // false: prompts must come as embeddings
  OffloadMode offload = OffloadMode::None;  // CUDA only (src/pipeline/offload.h)
};

class ModelFolder;

struct Kandinsky3Models {
  Kandinsky3UNet unet{nullptr};
  VQModel movq{nullptr};
  SchedulerConfig scheduler;
  // The original model's learned unconditional context [cross_attention_dim], from the optional
  // file unet/null_embedding.safetensors (tensor "null_embedding"; written by `k3anim convert
  // --from original`). Undefined when the folder has none (diffusers' folders do not).
  torch::Tensor null_embedding;
  std::unique_ptr<PromptEncoder> prompt_encoder;  // null when not loaded
  std::shared_ptr<Offloader> offloader;           // null without offloading
  std::vector<std::string> warnings;              // unknown config keys and the like

  // Checks model_index.json's class names, builds every network from its config.json and loads
  // its weights strictly. Throws FileError / ConfigError / WeightError naming the file at fault.
  static Kandinsky3Models load(const ModelLoadOptions& options);
  // model_index.json's classes for unet and movq (ConfigError naming the component otherwise).
  static void check_classes(const ModelFolder& folder);
  // The tokenizer, with the streamed T5 encoder when `with_encoder` (headers checked strictly,
  // no weight read yet); without it only cached embeddings work, in `text_dtype` on `device`.
  static std::unique_ptr<PromptEncoder> open_prompt_encoder(const ModelFolder& folder, torch::Device device,
                                                            torch::ScalarType text_dtype, bool with_encoder);
  static std::unique_ptr<TextEncoder> open_text_encoder(const ModelFolder& folder, torch::Device device,
                                                        torch::ScalarType text_dtype);
  // UNet, null embedding, MoVQ and scheduler (and the offloader when options.offload asks for it).
  void load_image_models(const ModelFolder& folder, const ModelLoadOptions& options);
};

// The T5 encoder's compute dtype: float32 on the CPU whatever the image dtype (a streamed block
// costs little memory, and the CPU's bf16 products are slow), the image dtype on CUDA.
torch::ScalarType text_encoder_dtype(const torch::Device& device, torch::ScalarType image_dtype);

// Where a converted original model keeps its null embedding (inside the unet/ component folder,
// outside its weight files so the strict loader never sees it).
constexpr const char* kNullEmbeddingFile = "null_embedding.safetensors";
constexpr const char* kNullEmbeddingKey = "null_embedding";

// "cpu", "cuda", "cuda:1" -> device (ConfigError for others, or for CUDA without a CUDA build/GPU).
torch::Device parse_device(const std::string& name);
// "fp32" | "float32", "bf16" | "bfloat16", "fp16" | "float16" -> dtype; "auto" = the default plan:
// fp32 on the CPU, fp16 on CUDA. fp16 on the CPU is refused (libtorch's CPU convolutions lack
// it): ConfigError naming the alternatives.
torch::ScalarType parse_dtype(const std::string& name, const torch::Device& device);

}  // namespace k3
