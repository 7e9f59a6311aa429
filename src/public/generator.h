#pragma once
// The torch-free facade of the Kandinsky 3.0 pipeline, as the renderer and the CLI use it.
// Implemented in src/pipeline/generator.cpp on top of the libtorch pipeline.
#include "base/image.h"
#include "base/progress.h"
#include "src/public/plan_extras.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace k3 {

struct GeneratorOptions {
  std::string model_dir;          // diffusers layout (model_index.json, unet/, movq/, ...)
  std::string device = "cpu";     // "cpu" or "cuda[:N]"
  // UNet and MoVQ: "auto" (fp32 on the CPU, fp16 on CUDA), "fp32", "bf16", "fp16". The T5
  // encoder runs in fp32 on the CPU and in this dtype on CUDA (its `wo` in fp32 under fp16).
  std::string dtype = "auto";
  // CUDA only: "none", "model" or "sequential" (src/pipeline/offload.h), or "auto": none when the memory
  // plan fits the device, else the first of model and sequential that does. No effect on the CPU.
  std::string offload = "auto";
  // The memory plan is checked at load for pictures up to this size (0 = 1024), and refused
  // with the needed and available bytes when it cannot fit (src/pipeline/memory_plan.h).
  int plan_width = 0, plan_height = 0;
  std::int64_t memory_limit = 0;  // > 0: plan within this many bytes (the user's --memory-limit)
  // Models that share the device during the image phase (the 3D warp's depth model): counted in
  // the memory plan, in the image dtype.
  std::vector<ExtraComponent> extra_components;
  MessageCallback on_message;
  std::string variant = "";       // "" = prefer plain files, "fp16" = prefer *.fp16.safetensors
  // "ddpm" (diffusers default), "ddim" (deterministic) or "original" (ai-forever's sampler:
  // its own timestep list, dynamic thresholding, eta; spec 6.1) or "flash" (Kandinsky 3.1
  // Flash: 4 fixed steps, no guidance; see src/sampling/flash_sampler.h).
  std::string sampler = "ddpm";
  double ddim_eta = 0.0;           // DDIM's eta
  double original_eta = 1.0;       // the original sampler's eta (its default)
  // The original sampler's dynamic-threshold percentile; <= 0 = the original's default
  // (0.99 text-to-image / image-to-image, 0.95 inpainting).
  double original_percentile = 0.0;
};

// One part of a composable prompt (A1111's `A :w1 AND B :w2`).
struct PromptWeight {
  std::string text;
  double weight = 1;
};

struct GenerationRequest {
  std::string prompt;
  // Composable prompts: when not empty, these texts condition the image together, combined in
  // the guidance step as A1111's composable diffusion does: eps = uncond + (g+1) * sum_i w_i
  // (cond_i - uncond); without guidance, the weighted mean of the conditions. `prompt` is then
  // ignored. The same in every mode: text-to-image, image-to-image, inpainting, outpainting.
  std::vector<PromptWeight> composable;
  std::string negative_prompt;     // "" = no negative prompt (zero embeddings, as diffusers)
  int width = 1024;
  int height = 1024;
  int steps = 50;
  double guidance = 3.0;           // pipeline formula: (g+1)*cond - g*uncond
  std::uint64_t seed = 0;
  double denoise = 1.0;            // img2img: fraction of the schedule re-run (diffusers' strength)
  // inpaint/outpaint: passes of the original notebook's prepare_mask dilation (three 5x5
  // convolutions there; each pass grows the repainted region by 2 pixels). 0 = the mask as given.
  int mask_dilation = 0;
};

class Generator {
 public:
  virtual ~Generator() = default;
  static std::unique_ptr<Generator> load(const GeneratorOptions& options);

  // With an inpainting (9-channel) model, text_to_image and image_to_image run inpaint() with
  // everything repainted (the original's inpainting pipeline with an all-white mask).
  virtual ImageRGB8 text_to_image(const GenerationRequest& request, const StepCallback& on_step = {}) = 0;
  // `init` is resized by the caller to request.width x request.height.
  virtual ImageRGB8 image_to_image(const ImageRGB8& init, const GenerationRequest& request,
                                   const StepCallback& on_step = {}) = 0;
  // Inpainting: repaints where `mask` is white (any picture of the image's size; a pixel is
  // repainted when its mean channel value is >= 127.5) and keeps the rest. A 9-channel
  // (inpainting) UNet gets [latent, keep-mask, masked-image latent]; a 4-channel (base) UNet
  // blends the kept region's re-noised latents in at every step. request.width/height are
  // ignored (the image's size is used, worked at the next size_multiple()); request.denoise < 1
  // starts from the noised image instead of pure noise. Pixels outside the mask come back as
  // the model drew them (no re-compositing; use composite_kept_pixels for that).
  virtual ImageRGB8 inpaint(const ImageRGB8& image, const ImageRGB8& mask, const GenerationRequest& request,
                            const StepCallback& on_step = {}) = 0;
  // Outpainting: extends the canvas by the given pixel margins (each >= 0) and paints the new
  // border. The border is first filled with edge-replicated, blurred content so MoVQ sees
  // something sensible there. Returns the (width+left+right) x (height+top+bottom) picture.
  ImageRGB8 outpaint(const ImageRGB8& image, int left, int top, int right, int bottom,
                     const GenerationRequest& request, const StepCallback& on_step = {});

  // Encodes these prompts now (cached by text), streaming the T5 encoder from its shards, so
  // that it can be released before the UNet and MoVQ are loaded (at the first picture).
  virtual void precompute_prompts(const std::vector<std::string>& prompts) = 0;
  virtual void release_text_encoder() = 0;
  // The cached prompt embeddings to a file (atomically) and back: a resumed run needs no T5.
  virtual void save_prompt_embeddings(const std::string& path, const std::vector<std::string>& prompts) = 0;
  virtual void load_prompt_embeddings(const std::string& path) = 0;
  // The memory plan checked at load, one line.
  virtual std::string memory_plan() const = 0;
  // The size multiple of this model (src/public/model_canvas.h: its MoVQ's factor times its UNet's;
  // 64 for Kandinsky 3): other sizes are worked on the canvas of the next multiple up.
  virtual int size_multiple() const = 0;
};

// Outpainting's two inputs, torch-free: the canvas (the image in the middle, the border filled
// with edge-replicated content blurred with a box of `blur_radius` pixels) and its mask
// (white = the new border to paint, black = the original picture).
struct OutpaintCanvas {
  ImageRGB8 image;
  ImageRGB8 mask;
};
OutpaintCanvas make_outpaint_canvas(const ImageRGB8& image, int left, int top, int right, int bottom,
                                    int blur_radius = 8);
// Copies `original`'s pixels into `painted` wherever `mask` is black (same sizes required).
ImageRGB8 composite_kept_pixels(const ImageRGB8& painted, const ImageRGB8& original, const ImageRGB8& mask);

}  // namespace k3
