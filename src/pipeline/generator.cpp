// The torch-free facade (src/public/generator.h) over the libtorch pipelines: models are loaded once,
// prompt embeddings are cached by text, every frame only runs the denoising loop.
// Follows diffusers pipelines/kandinsky3 (__call__ arguments: prompt, negative_prompt,
// num_inference_steps, guidance_scale, height/width, strength, generator).
#include "src/public/generator.h"
#include "src/public/runtime.h"

#include "src/public/model_canvas.h"

#include "base/errors.h"
#include "src/models/kandinsky3_models.h"
#include "src/pipeline/inpaint_pipeline.h"
#include "src/pipeline/memory_plan.h"
#include "src/io/model_folder.h"
#include "src/pipeline/pipeline.h"
#include "src/models/movq_config.h"
#include "src/models/t5_config.h"
#include "src/models/unet_config.h"

#include <chrono>
#include <cstdio>
#include <optional>

namespace k3 {

namespace {

// [B, C, H, W] pictures on their model canvas (src/public/model_canvas.h): edges replicated.
torch::Tensor pad_to_canvas(const torch::Tensor& images, const ModelCanvas& canvas) {
  const int64_t height = images.size(2), width = images.size(3);
  if (canvas.same_as(static_cast<int>(width), static_cast<int>(height))) return images;
  namespace F = torch::nn::functional;
  return F::pad(images, F::PadFuncOptions({canvas.left, canvas.width - width - canvas.left, canvas.top,
                                           canvas.height - height - canvas.top})
                            .mode(torch::kReplicate));
}

// The width x height picture out of the middle of its canvas.
torch::Tensor crop_from_canvas(const torch::Tensor& images, const ModelCanvas& canvas, int width, int height) {
  using torch::indexing::Slice;
  return images.index({Slice(), Slice(), Slice(canvas.top, canvas.top + height), Slice(canvas.left, canvas.left + width)});
}

class TorchGenerator final : public Generator {
 public:
  // Opens the folder, checks every config and the memory plan, and readies the tokenizer; no
  // weight is read until a prompt is encoded (T5, streamed) or a picture is made (UNet, MoVQ).
  explicit TorchGenerator(const GeneratorOptions& options)
      : options_(options), folder_(ModelFolder::open(options.model_dir, options.variant)) {
    Kandinsky3Models::check_classes(folder_);
    load_.model_dir = options.model_dir;
    load_.variant = options.variant;
    load_.device = parse_device(options.device);
    load_.dtype = parse_dtype(options.dtype, load_.device);
    const bool auto_offload = options.offload == "auto";
    load_.offload = auto_offload ? OffloadMode::None : parse_offload(options.offload);
    if (load_.offload == OffloadMode::Sequential && load_.device.is_cpu()) {
      say("offload sequential: the CPU has model offload only (the UNet's blocks re-read from their file while MoVQ "
          "works); using model");
      load_.offload = OffloadMode::Model;
    }
    text_dtype_ = text_encoder_dtype(load_.device, load_.dtype);
    t5_width_ = T5EncoderConfig::from_file(folder_.config_path("text_encoder")).d_model;
    const auto unet = UNetConfig::from_json(folder_.config("unet"), folder_.config_path("unet"));
    inpainting_unet_ = unet.is_inpainting();
    size_multiple_ = model_size_multiple(
        static_cast<int>(MoVQConfig::from_json(folder_.config("movq"), folder_.config_path("movq")).downscale_factor()),
        static_cast<int>(unet.levels()));
    plan_ = plan_memory(folder_, plan_request(load_.dtype));
    if (auto_offload && !plan_.fits()) choose_offload();
    // "auto" on the CPU: fp32 when it fits (offloaded if need be), else bf16 (half the weights and
    // activations; libtorch's CPU bf16 convolutions are many times slower, hence last).
    if (options.dtype == "auto" && load_.device.is_cpu() && !plan_.fits()) {
      auto half = plan_memory(folder_, plan_request(torch::kBFloat16));
      if (half.fits()) {
        say("memory plan: fp32 would need " + format_bytes(plan_.needed()) + " with " + format_bytes(plan_.available) +
            " available; UNet and MoVQ run in bf16");
        load_.dtype = torch::kBFloat16;
        plan_ = half;
      }
    }
    require_fit(plan_);
    prompts_ = Kandinsky3Models::open_prompt_encoder(folder_, load_.device, text_dtype_, /*with_encoder=*/false);
  }

  ImageRGB8 text_to_image(const GenerationRequest& request, const StepCallback& on_step) override {
    // An inpainting UNet needs its mask channels: everything repainted, nothing known (the
    // original's inpainting pipeline with an all-ones user mask).
    if (inpainting_unet_) return repaint_everything(blank(request.width, request.height), request, 1.0, on_step);
    const auto settings = settings_of(request);
    const auto batch = conditioning(request, settings);
    SeededNoise noise(request.seed);
    auto decoded = image_pipeline().text_to_image(batch, request.height, request.width, settings, noise, {}, progress(on_step));
    // diffusers returns the 64-rounded size; the facade returns what was asked for, its middle.
    const ModelCanvas canvas = canvas_for(request.width, request.height);
    return tensor_to_images(crop_from_canvas(decoded, canvas, request.width, request.height)).front();
  }

  ImageRGB8 image_to_image(const ImageRGB8& init, const GenerationRequest& request,
                           const StepCallback& on_step) override {
    if (init.empty()) throw ConfigError("image_to_image: expected an init picture, got an empty one");
    if (inpainting_unet_) return repaint_everything(init, request, request.denoise, on_step);
    const auto settings = settings_of(request);
    const auto batch = conditioning(request, settings);
    image_pipeline();
    const ModelCanvas canvas = canvas_for(init.width, init.height);
    auto image = pad_to_canvas(images_to_tensor({init}), canvas);
    SeededNoise noise(request.seed);
    auto decoded = image_pipeline().image_to_image(image, batch, request.denoise, settings, noise, progress(on_step));
    return tensor_to_images(crop_from_canvas(decoded, canvas, init.width, init.height)).front();
  }

  ImageRGB8 inpaint(const ImageRGB8& image, const ImageRGB8& mask, const GenerationRequest& request,
                    const StepCallback& on_step) override {
    if (image.empty()) throw ConfigError("inpaint: expected a picture, got an empty one");
    if (mask.width != image.width || mask.height != image.height || mask.pixels.size() != image.pixels.size())
      throw ConfigError("inpaint: expected a mask of " + std::to_string(image.width) + "x" +
                        std::to_string(image.height) + " RGB pixels (the picture's size), got " +
                        std::to_string(mask.width) + "x" + std::to_string(mask.height));
    const auto settings = settings_of(request);
    const auto batch = conditioning(request, settings);
    image_pipeline();
    const ModelCanvas canvas = canvas_for(image.width, image.height);
    auto pixels = pad_to_canvas(images_to_tensor({image}), canvas);
    // White = repaint: the mean of the three channels (0..255 each) at or above 127.5.
    auto repaint = (images_to_tensor({mask}).mean(1, true) >= 0.0f).to(torch::kFloat);
    repaint = pad_to_canvas(dilate_repaint_mask(repaint, request.mask_dilation), canvas);
    SeededNoise noise(request.seed);
    auto decoded = image_pipeline().inpaint(pixels, repaint, batch, request.denoise, settings, noise, progress(on_step));
    return tensor_to_images(crop_from_canvas(decoded, canvas, image.width, image.height)).front();
  }

  void precompute_prompts(const std::vector<std::string>& prompts) override {
    std::vector<std::string> missing;
    for (const auto& prompt : prompts)
      if (!prompt.empty() && !prompts_->is_cached(prompt)) missing.push_back(prompt);
    if (missing.empty()) return;
    if (!prompts_->has_text_encoder())
      prompts_->attach_text_encoder(Kandinsky3Models::open_text_encoder(folder_, load_.device, text_dtype_));
    const auto start = Clock::now();
    prompts_->precompute(missing);
    say("text encoder: " + std::to_string(missing.size()) + " prompt(s) encoded in " + seconds_since(start) + " (streamed, " +
        dtype_name(text_dtype_) + ")");
  }

  void release_text_encoder() override { prompts_->release_text_encoder(); }

  void save_prompt_embeddings(const std::string& path, const std::vector<std::string>& prompts) override {
    std::vector<std::string> present;
    for (const auto& prompt : prompts)
      if (!prompt.empty() && prompts_->is_cached(prompt)) present.push_back(prompt);
    prompts_->save_cache(path, present);
  }

  void load_prompt_embeddings(const std::string& path) override { prompts_->load_cache(path, t5_width_); }

  std::string memory_plan() const override { return plan_.summary(); }

 private:
  int size_multiple() const override { return size_multiple_; }

  // The model canvas of a picture (the pipeline's latents are this canvas over the MoVQ's factor).
  ModelCanvas canvas_for(int width, int height) const { return model_canvas(width, height, size_multiple_); }

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

  // "auto" offload when everything on the device would not fit: the first of model and (CUDA
  // only) sequential whose plan fits; the last one tried stays for require_fit's message otherwise.
  void choose_offload() {
    const auto without = plan_;
    for (auto mode : {OffloadMode::Model, OffloadMode::Sequential}) {
      if (mode == OffloadMode::Sequential && load_.device.is_cpu()) break;
      load_.offload = mode;
      plan_ = plan_memory(folder_, plan_request(load_.dtype));
      if (plan_.fits()) break;
    }
    if (plan_.fits())
      say("memory plan: everything on " + without.device + " would need " + format_bytes(without.needed()) + " with " +
          format_bytes(without.available) + " available; offload " + offload_name(load_.offload) + " (needs " +
          format_bytes(plan_.needed()) + ")");
  }

  PlanRequest plan_request(torch::ScalarType image_dtype) const {
    PlanRequest plan;
    plan.device = load_.device;
    plan.image_dtype = image_dtype;
    plan.text_dtype = text_dtype_;
    plan.offload = load_.offload;
    plan.width = options_.plan_width > 0 ? options_.plan_width : 1024;
    plan.height = options_.plan_height > 0 ? options_.plan_height : 1024;
    plan.limit_bytes = options_.memory_limit;
    plan.extras = options_.extra_components;
    return plan;
  }

  using Clock = std::chrono::steady_clock;
  static std::string seconds_since(Clock::time_point start) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f s", std::chrono::duration<double>(Clock::now() - start).count());
    return text;
  }
  static const char* dtype_name(torch::ScalarType type) {
    return type == torch::kHalf ? "fp16" : type == torch::kBFloat16 ? "bf16" : "fp32";
  }
  // Whether the UNet replays from CUDA graphs, said once at load; the switch is said to do
  // nothing where it cannot (no setting ends without effect silently).
  void say_cuda_graphs() const {
    const bool cuda = load_.device.is_cuda();
    if (cuda && cuda_graphs() && load_.offload == OffloadMode::None)
      say("cuda graphs: the UNet forward is recorded once per size and replayed (--no-cuda-graphs: eager)");
    else if (cuda && cuda_graphs())
      say("cuda graphs: off under offload " + std::string(offload_name(load_.offload)) + " (it moves the weights)");
    else if (!cuda && !cuda_graphs())
      say("warning: --no-cuda-graphs has no effect on " + load_.device.str());
  }

  void say(const std::string& message) const {
    if (options_.on_message) options_.on_message(message);
  }

  // The prompts first (T5 streamed, then released), then the UNet and MoVQ: the two phases
  // never hold their weights at the same time.
  GuidanceBatch conditioning(const GenerationRequest& request, const DenoiseSettings& settings) {
    if (!request.composable.empty()) return composable_conditioning(request, settings);
    std::vector<std::string> texts{request.prompt};
    if (settings.guided() && !request.negative_prompt.empty()) texts.push_back(request.negative_prompt);
    precompute_prompts(texts);
    std::optional<std::vector<std::string>> negative;
    if (!request.negative_prompt.empty()) negative = std::vector<std::string>{request.negative_prompt};
    return guidance_batch(prompts_->encode({request.prompt}, settings.guided(), negative));
  }

  // Loads UNet and MoVQ at the first picture (after releasing the text encoder).
  Kandinsky3InpaintPipeline& image_pipeline() {
    if (pipeline_) return *pipeline_;
    release_text_encoder();
    const auto start = Clock::now();
    models_.load_image_models(folder_, load_);
    pipeline_ = std::make_unique<Kandinsky3InpaintPipeline>(models_.unet, models_.movq, models_.scheduler);
    pipeline_->set_null_embedding(models_.null_embedding);
    pipeline_->set_offloader(models_.offloader);
    say("loaded unet and movq (" + std::string(dtype_name(load_.dtype)) + ", " + load_.device.str() +
        (load_.offload != OffloadMode::None ? std::string(", offload ") + offload_name(load_.offload) : std::string()) +
        ") in " + seconds_since(start));
    // Config keys nobody reads (a newer diffusers, a typo in a hand-made folder): said, not dropped.
    for (const auto& warning : models_.warnings) say("warning: " + warning);
    say_cuda_graphs();
    return *pipeline_;
  }

  // [uncond, cond_1 .. cond_K] from the cached embeddings of each part (one encoder batch, so
  // the parts share one context length).
  GuidanceBatch composable_conditioning(const GenerationRequest& request, const DenoiseSettings& settings) {
    std::vector<std::string> texts;
    std::vector<double> weights;
    for (const auto& part : request.composable) texts.push_back(part.text), weights.push_back(part.weight);
    std::optional<std::vector<std::string>> negative;
    if (!request.negative_prompt.empty()) negative = std::vector<std::string>(texts.size(), request.negative_prompt);
    std::vector<std::string> needed = texts;
    if (negative) needed.push_back(request.negative_prompt);
    precompute_prompts(needed);
    EncodedPrompts encoded = prompts_->encode(texts, settings.guided(), negative);
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

  GeneratorOptions options_;
  ModelFolder folder_;
  ModelLoadOptions load_;
  torch::ScalarType text_dtype_ = torch::kFloat;
  int64_t t5_width_ = 0;
  bool inpainting_unet_ = false;
  int size_multiple_ = kModelSizeMultiple;  // from the MoVQ and UNet configs
  MemoryPlan plan_;
  std::unique_ptr<PromptEncoder> prompts_;
  Kandinsky3Models models_;
  std::unique_ptr<Kandinsky3InpaintPipeline> pipeline_;
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
