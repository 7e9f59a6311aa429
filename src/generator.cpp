// The torch-free facade (src/generator.h) over the libtorch pipelines: models are loaded once,
// prompt embeddings are cached by text, every frame only runs the denoising loop.
// Follows diffusers pipelines/kandinsky3 (__call__ arguments: prompt, negative_prompt,
// num_inference_steps, guidance_scale, height/width, strength, generator).
#include "src/generator.h"

#include "src/errors.h"
#include "src/kandinsky3_models.h"
#include "src/inpaint_pipeline.h"
#include "src/pipeline.h"

#include <optional>

namespace k3 {

namespace {

int64_t round_up(int64_t v, int64_t multiple) { return (v + multiple - 1) / multiple * multiple; }

// Bicubic resize of [B, C, H, W] float images (used only when a size is not a multiple of 64).
torch::Tensor resize(const torch::Tensor& images, int64_t height, int64_t width) {
  if (images.size(2) == height && images.size(3) == width) return images;
  namespace F = torch::nn::functional;
  return F::interpolate(images, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{height, width})
                                    .mode(torch::kBicubic)
                                    .align_corners(false));
}

class TorchGenerator final : public Generator {
 public:
  explicit TorchGenerator(const GeneratorOptions& options) {
    ModelLoadOptions load;
    load.model_dir = options.model_dir;
    load.variant = options.variant;
    load.device = parse_device(options.device);
    load.dtype = parse_dtype(options.dtype, load.device);
    models_ = Kandinsky3Models::load(load);
    pipeline_ = std::make_unique<Kandinsky3InpaintPipeline>(models_.unet, models_.movq, models_.scheduler);
    pipeline_->set_null_embedding(models_.null_embedding);
    options_ = options;
  }

  ImageRGB8 text_to_image(const GenerationRequest& request, const StepCallback& on_step) override {
    // An inpainting UNet needs its mask channels: everything repainted, nothing known (the
    // original's inpainting pipeline with an all-ones user mask).
    if (pipeline_->uses_inpainting_unet()) return repaint_everything(blank(request.width, request.height), request, 1.0, on_step);
    const auto settings = settings_of(request);
    SeededNoise noise(request.seed);
    auto decoded = pipeline_->text_to_image(conditioning(request, settings), request.height, request.width, settings,
                                            noise, {}, progress(on_step));
    // diffusers returns the 64-rounded size; the facade returns what was asked for.
    return tensor_to_images(resize(decoded, request.height, request.width)).front();
  }

  ImageRGB8 image_to_image(const ImageRGB8& init, const GenerationRequest& request,
                           const StepCallback& on_step) override {
    if (init.empty()) throw ConfigError("image_to_image: expected an init picture, got an empty one");
    if (pipeline_->uses_inpainting_unet()) return repaint_everything(init, request, request.denoise, on_step);
    const auto settings = settings_of(request);
    const int64_t multiple = models_.movq->config().downscale_factor() * 8;
    auto image = images_to_tensor({init});
    // The UNet needs latents divisible by 8: work at the next multiple of 64 and come back.
    image = resize(image, round_up(init.height, multiple), round_up(init.width, multiple));
    SeededNoise noise(request.seed);
    auto decoded = pipeline_->image_to_image(image, conditioning(request, settings), request.denoise, settings, noise,
                                             progress(on_step));
    return tensor_to_images(resize(decoded, init.height, init.width)).front();
  }

  ImageRGB8 inpaint(const ImageRGB8& image, const ImageRGB8& mask, const GenerationRequest& request,
                    const StepCallback& on_step) override {
    if (image.empty()) throw ConfigError("inpaint: expected a picture, got an empty one");
    if (mask.width != image.width || mask.height != image.height || mask.pixels.size() != image.pixels.size())
      throw ConfigError("inpaint: expected a mask of " + std::to_string(image.width) + "x" +
                        std::to_string(image.height) + " RGB pixels (the picture's size), got " +
                        std::to_string(mask.width) + "x" + std::to_string(mask.height));
    GenerationRequest single = request;
    single.composable.clear();  // the inpainting hooks condition on one prompt
    const auto settings = settings_of(single);
    const int64_t multiple = models_.movq->config().downscale_factor() * 8;
    const int64_t work_h = round_up(image.height, multiple), work_w = round_up(image.width, multiple);
    auto pixels = resize(images_to_tensor({image}), work_h, work_w);
    // White = repaint: the mean of the three channels (0..255 each) at or above 127.5.
    auto repaint = (images_to_tensor({mask}).mean(1, true) >= 0.0f).to(torch::kFloat);
    repaint = dilate_repaint_mask(repaint, request.mask_dilation);
    if (repaint.size(2) != work_h || repaint.size(3) != work_w) {
      namespace F = torch::nn::functional;
      repaint = F::interpolate(repaint, F::InterpolateFuncOptions()
                                            .size(std::vector<int64_t>{work_h, work_w})
                                            .mode(torch::kNearest));
    }
    SeededNoise noise(request.seed);
    auto decoded = pipeline_->inpaint(pixels, repaint, conditioning(single, settings), request.denoise, settings,
                                      noise, progress(on_step));
    return tensor_to_images(resize(decoded, image.height, image.width)).front();
  }

  void precompute_prompts(const std::vector<std::string>& prompts) override {
    require_prompt_encoder().precompute(prompts);
  }

  void release_text_encoder() override {
    if (models_.prompt_encoder) models_.prompt_encoder->release_text_encoder();
  }

 private:
  static ImageRGB8 blank(int width, int height) {
    return ImageRGB8{width, height, std::vector<std::uint8_t>(static_cast<size_t>(width) * height * 3, 128)};
  }

  ImageRGB8 repaint_everything(const ImageRGB8& image, const GenerationRequest& request, double denoise,
                               const StepCallback& on_step) {
    GenerationRequest copy = request;
    copy.denoise = denoise;
    auto mask = blank(image.width, image.height);
    std::fill(mask.pixels.begin(), mask.pixels.end(), 255);
    return inpaint(image, mask, copy, on_step);
  }

  DenoiseSettings settings_of(const GenerationRequest& request) const {
    DenoiseSettings settings;
    settings.steps = request.steps;
    settings.guidance = request.guidance;
    settings.sampler = options_.sampler;
    settings.ddim_eta = options_.ddim_eta;
    settings.original_eta = options_.original_eta;
    settings.original_percentile = options_.original_percentile;
    // Flash was distilled to run without classifier-free guidance.
    if (settings.sampler == "flash") settings.guidance = 0.0;
    return settings;
  }

  PromptEncoder& require_prompt_encoder() {
    if (!models_.prompt_encoder) throw Error("generator: the text encoder was not loaded");
    return *models_.prompt_encoder;
  }

  GuidanceBatch conditioning(const GenerationRequest& request, const DenoiseSettings& settings) {
    if (!request.composable.empty()) return composable_conditioning(request, settings);
    std::optional<std::vector<std::string>> negative;
    if (!request.negative_prompt.empty()) negative = std::vector<std::string>{request.negative_prompt};
    return guidance_batch(require_prompt_encoder().encode({request.prompt}, settings.guided(), negative));
  }

  // [uncond, cond_1 .. cond_K] from the cached embeddings of each part (one encoder batch, so
  // the parts share one context length).
  GuidanceBatch composable_conditioning(const GenerationRequest& request, const DenoiseSettings& settings) {
    std::vector<std::string> texts;
    std::vector<double> weights;
    for (const auto& part : request.composable) texts.push_back(part.text), weights.push_back(part.weight);
    std::optional<std::vector<std::string>> negative;
    if (!request.negative_prompt.empty()) negative = std::vector<std::string>(texts.size(), request.negative_prompt);
    EncodedPrompts encoded = require_prompt_encoder().encode(texts, settings.guided(), negative);
    GuidanceBatch batch;
    if (settings.guided()) {
      batch.embeds = torch::cat({encoded.negative_prompt_embeds.narrow(0, 0, 1), encoded.prompt_embeds});
      batch.mask = torch::cat({encoded.negative_attention_mask.narrow(0, 0, 1), encoded.attention_mask}).to(torch::kBool);
    } else {
      batch.embeds = encoded.prompt_embeds;
      batch.mask = encoded.attention_mask.to(torch::kBool);
    }
    batch.weights = std::move(weights);
    return batch;
  }

  static LatentStepCallback progress(const StepCallback& on_step) {
    if (!on_step) return {};
    return [on_step](int step, int total, const torch::Tensor&) { return on_step(step + 1, total); };
  }

  Kandinsky3Models models_;
  std::unique_ptr<Kandinsky3InpaintPipeline> pipeline_;
  GeneratorOptions options_;
};

}  // namespace

ImageRGB8 Generator::outpaint(const ImageRGB8& image, int left, int top, int right, int bottom,
                              const GenerationRequest& request, const StepCallback& on_step) {
  const auto canvas = make_outpaint_canvas(image, left, top, right, bottom);
  return inpaint(canvas.image, canvas.mask, request, on_step);
}

std::unique_ptr<Generator> Generator::load(const GeneratorOptions& options) {
  return std::make_unique<TorchGenerator>(options);
}

}  // namespace k3
