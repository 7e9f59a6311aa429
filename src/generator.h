#pragma once
// The torch-free facade of the Kandinsky 3.0 pipeline, as the renderer and the CLI use it.
// Implemented in src/generator.cpp on top of the libtorch pipeline.
#include "src/image.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace k3 {

struct GeneratorOptions {
  std::string model_dir;          // diffusers layout (model_index.json, unet/, movq/, ...)
  std::string device = "cpu";     // "cpu" or "cuda[:N]"
  std::string dtype = "fp32";     // "fp32", "bf16", "fp16"
  std::string variant = "";       // "" = prefer plain files, "fp16" = prefer *.fp16.safetensors
  std::string sampler = "ddpm";   // "ddpm" (diffusers default) or "ddim" (deterministic)
  double ddim_eta = 0.0;
};

struct GenerationRequest {
  std::string prompt;
  std::string negative_prompt;     // "" = no negative prompt (zero embeddings, as diffusers)
  int width = 1024;
  int height = 1024;
  int steps = 50;
  double guidance = 3.0;           // pipeline formula: (g+1)*cond - g*uncond
  std::uint64_t seed = 0;
  double denoise = 1.0;            // img2img: fraction of the schedule re-run (diffusers' strength)
};

// Per-step progress; return false to cancel (the call then throws k3::Cancelled).
using StepCallback = std::function<bool(int step, int total_steps)>;

class Generator {
 public:
  virtual ~Generator() = default;
  static std::unique_ptr<Generator> load(const GeneratorOptions& options);

  virtual ImageRGB8 text_to_image(const GenerationRequest& request, const StepCallback& on_step = {}) = 0;
  // `init` is resized by the caller to request.width x request.height.
  virtual ImageRGB8 image_to_image(const ImageRGB8& init, const GenerationRequest& request,
                                   const StepCallback& on_step = {}) = 0;
  // Encodes these prompts now (cached by text), so the text encoder can then be released.
  virtual void precompute_prompts(const std::vector<std::string>& prompts) = 0;
  virtual void release_text_encoder() = 0;
};

}  // namespace k3
