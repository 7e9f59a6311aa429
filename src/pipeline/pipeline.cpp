// Follows diffusers pipelines/kandinsky3/pipeline_kandinsky3.py (__call__, prepare_latents,
// downscale_height_and_width) and pipeline_kandinsky3_img2img.py (__call__, get_timesteps,
// prepare_latents), image_processor.py (postprocess 'np' / 'pil').
#include "src/pipeline/pipeline.h"
#include "base/text.h"

#include "base/errors.h"
#include "src/pipeline/offload.h"
#include "src/public/model_canvas.h"
#include "src/public/runtime.h"
#include "src/sampling/sampler.h"

#include <cctype>
#include <cstring>

namespace k3 {

std::pair<int64_t, int64_t> latent_size_for(int64_t height, int64_t width, int64_t movq_downscale,
                                            int64_t unet_levels) {
  if (height <= 0 || width <= 0)
    throw ConfigError("image size: expected positive width and height, got " + std::to_string(width) + "x" +
                      std::to_string(height));
  const ModelCanvas canvas = model_canvas(static_cast<int>(width), static_cast<int>(height),
                                          model_size_multiple(static_cast<int>(movq_downscale), static_cast<int>(unet_levels)));
  return {canvas.height / movq_downscale, canvas.width / movq_downscale};
}

Kandinsky3Pipeline::Kandinsky3Pipeline(Kandinsky3UNet unet, VQModel movq, SchedulerConfig scheduler)
    : unet_(std::move(unet)), movq_(std::move(movq)), scheduler_(std::move(scheduler)) {
  unet_denoiser_ = std::make_shared<UNetDenoiser>(unet_);
  denoiser_ = unet_denoiser_;
}

void Kandinsky3Pipeline::set_denoiser(std::shared_ptr<Denoiser> denoiser) {
  denoiser_ = denoiser ? std::move(denoiser) : unet_denoiser_;
}

std::unique_ptr<Sampler> Kandinsky3Pipeline::sampler_for(const DenoiseSettings& settings,
                                                         double default_percentile) const {
  const bool original = lower(settings.sampler) == "original";
  const double eta = original ? settings.original_eta : settings.ddim_eta;
  const double percentile = settings.original_percentile > 0 ? settings.original_percentile : default_percentile;
  return make_sampler(settings.sampler, scheduler_, eta, percentile);
}

int64_t Kandinsky3Pipeline::size_multiple() const {
  return model_size_multiple(static_cast<int>(movq_->config().downscale_factor()), static_cast<int>(unet_->config().levels()));
}

torch::Device Kandinsky3Pipeline::device() const { return unet_->conv_in->weight.device(); }
torch::ScalarType Kandinsky3Pipeline::dtype() const { return unet_->conv_in->weight.scalar_type(); }

torch::Tensor Kandinsky3Pipeline::draw(NoiseSource& noise, at::IntArrayRef shape) {
  return noise.next(shape).to(device(), dtype());
}

int64_t Kandinsky3Pipeline::pictures_of(const GuidanceBatch& conditioning, const DenoiseSettings& settings) {
  if (!conditioning.embeds.defined() || !conditioning.mask.defined())
    throw ConfigError("pipeline: expected prompt embeddings and their mask, got none");
  const int64_t rows = conditioning.embeds.size(0);
  if (conditioning.mask.size(0) != rows)
    throw ConfigError("pipeline: expected as many mask rows as embedding rows (" + std::to_string(rows) + "), got " +
                      std::to_string(conditioning.mask.size(0)));
  if (!conditioning.weights.empty()) {
    const int64_t expected = static_cast<int64_t>(conditioning.weights.size()) + (settings.guided() ? 1 : 0);
    if (rows != expected)
      throw ConfigError("pipeline: composable prompts expect " + std::to_string(expected) + " rows (" +
                        (settings.guided() ? "uncond + " : "") + std::to_string(conditioning.weights.size()) +
                        " conditions), got " + std::to_string(rows));
    return 1;
  }
  if (settings.guided() && rows % 2 != 0)
    throw ConfigError("pipeline: guidance " + std::to_string(settings.guidance) +
                      " expects [negative, positive] rows (an even count), got " + std::to_string(rows));
  return settings.guided() ? rows / 2 : rows;
}

namespace {
// A1111's composable diffusion (modules/sd_samplers_cfg_denoiser.py combine_denoised) in
// Kandinsky 3's guidance form: uncond + (g+1) * sum_i w_i (cond_i - uncond); unguided, the
// weighted mean of the conditions (their plain mean when the weights sum to 0).
torch::Tensor combine_composable(const torch::Tensor& prediction, const std::vector<double>& weights,
                                 const DenoiseSettings& settings) {
  const int64_t first = settings.guided() ? 1 : 0;
  if (settings.guided()) {
    const auto uncond = prediction.narrow(0, 0, 1);
    auto sum = torch::zeros_like(uncond);
    for (std::size_t i = 0; i < weights.size(); ++i)
      sum += weights[i] * (prediction.narrow(0, first + static_cast<int64_t>(i), 1) - uncond);
    return uncond + (settings.guidance + 1.0) * sum;
  }
  double total = 0;
  for (double w : weights) total += w;
  auto sum = torch::zeros_like(prediction.narrow(0, 0, 1));
  for (std::size_t i = 0; i < weights.size(); ++i)
    sum += (total != 0 ? weights[i] / total : 1.0 / weights.size()) * prediction.narrow(0, static_cast<int64_t>(i), 1);
  return sum;
}

}  // namespace

torch::Tensor Kandinsky3Pipeline::denoise(torch::Tensor latents, const std::vector<int64_t>& timesteps,
                                          Sampler& sampler, const GuidanceBatch& conditioning,
                                          const DenoiseSettings& settings, NoiseSource& noise,
                                          const LatentStepCallback& on_step, const StepHooks& hooks) {
  torch::NoGradGuard no_grad;
  if (offloader_) offloader_->before_unet();
  // Offloading moves the weights between the steps' phases; a graph replays fixed addresses.
  unet_denoiser_->use_cuda_graphs(cuda_graphs() && !offloader_);
  DenoiserContext context;
  context.embeds = conditioning.embeds.to(device(), dtype());
  context.mask = conditioning.mask.to(device());
  // The original runs [cond, uncond]; ours arrive as diffusers' [negative, positive]. Rows are
  // independent, so only the null embedding's placement depends on the order.
  const bool composable = !conditioning.weights.empty();
  const bool cond_first = !composable && settings.guided() && sampler.original_conventions();
  context.original_context = sampler.original_conventions();
  if (composable && context.original_context && settings.guided() && null_embedding_.defined()) {
    // The unconditional row (row 0) without a negative prompt gets the original's null context.
    auto rows = torch::zeros({context.mask.size(0)}, torch::kBool);
    rows[0] = !context.mask[0].any().item<bool>();
    context.null_rows = rows;
    context.null_embedding = null_embedding_;
  }
  if (cond_first) {
    auto e = context.embeds.chunk(2), m = context.mask.chunk(2);
    context.embeds = torch::cat({e[1], e[0]});
    context.mask = torch::cat({m[1], m[0]});
    if (null_embedding_.defined()) {
      // An unconditional row with nothing to attend is "no negative prompt": the original's
      // null context. A negative prompt keeps its own embeddings.
      auto rows = context.mask.to(torch::kBool).any(1).logical_not().to(torch::kCPU);
      rows.slice(0, 0, rows.size(0) / 2).fill_(false);
      context.null_rows = rows;
      context.null_embedding = null_embedding_;
    }
  }
  const int total = static_cast<int>(timesteps.size());
  for (int i = 0; i < total; ++i) {
    const int64_t t = timesteps[i];
    auto doubled = composable ? latents.repeat({context.embeds.size(0), 1, 1, 1})
                              : (settings.guided() ? torch::cat({latents, latents}) : latents);
    auto model_input = hooks.model_input ? hooks.model_input(doubled) : doubled;
    auto timestep = torch::tensor(t, torch::TensorOptions().dtype(torch::kLong).device(device()));
    auto prediction = denoiser_->predict_noise(model_input, timestep, context);
    if (composable) {
      prediction = combine_composable(prediction, conditioning.weights, settings);
    } else if (settings.guided()) {
      auto halves = prediction.chunk(2);
      const auto& cond = cond_first ? halves[0] : halves[1];
      const auto& uncond = cond_first ? halves[1] : halves[0];
      prediction = (settings.guidance + 1.0) * cond - settings.guidance * uncond;
    }
    torch::Tensor step_noise;
    if (sampler.step_draws_noise(t)) step_noise = draw(noise, latents.sizes());
    latents = sampler.step(prediction, t, latents, step_noise).prev_sample;
    if (hooks.after_step) latents = hooks.after_step(latents, i);
    if (on_step && !on_step(i, total, latents))
      throw Cancelled("generation cancelled after step " + std::to_string(i + 1) + " of " + std::to_string(total));
  }
  return latents;
}

torch::Tensor Kandinsky3Pipeline::text_to_latents(const GuidanceBatch& conditioning, int64_t height, int64_t width,
                                                  const DenoiseSettings& settings, NoiseSource& noise,
                                                  const torch::Tensor& initial_latents,
                                                  const LatentStepCallback& on_step) {
  const int64_t batch = pictures_of(conditioning, settings);
  const auto [latent_h, latent_w] =
      latent_size_for(height, width, movq_->config().downscale_factor(), unet_->config().levels());
  auto sampler = sampler_for(settings);
  sampler->set_timesteps(settings.steps);
  const std::vector<int64_t> shape = {batch, unet_->config().out_channels(), latent_h, latent_w};
  torch::Tensor latents;
  if (initial_latents.defined()) {
    if (initial_latents.sizes() != at::IntArrayRef(shape))
      throw ConfigError("text-to-image: expected initial latents of shape " + c10::str(at::IntArrayRef(shape)) +
                        ", got " + c10::str(initial_latents.sizes()));
    latents = initial_latents.to(device(), dtype());
  } else {
    latents = draw(noise, shape);
  }
  latents = latents * sampler->init_noise_sigma();
  return denoise(latents, sampler->timesteps(), *sampler, conditioning, settings, noise, on_step);
}

torch::Tensor Kandinsky3Pipeline::text_to_image(const GuidanceBatch& conditioning, int64_t height, int64_t width,
                                                const DenoiseSettings& settings, NoiseSource& noise,
                                                const torch::Tensor& initial_latents,
                                                const LatentStepCallback& on_step) {
  return decode(text_to_latents(conditioning, height, width, settings, noise, initial_latents, on_step));
}

torch::Tensor Kandinsky3Pipeline::decode(const torch::Tensor& latents) {
  torch::NoGradGuard no_grad;
  if (offloader_) offloader_->before_movq_decode();
  const auto movq_weight = movq_->post_quant_conv->weight;
  return movq_->decode(latents.to(movq_weight.device(), movq_weight.scalar_type()), true)
      .to(torch::kCPU, torch::kFloat);
}

torch::Tensor Kandinsky3Pipeline::encode(const torch::Tensor& pixels) {
  torch::NoGradGuard no_grad;
  if (offloader_) offloader_->before_movq_encode();
  const auto movq_weight = movq_->post_quant_conv->weight;
  return movq_->encode(pixels.to(movq_weight.device(), movq_weight.scalar_type())).to(device(), dtype());
}

torch::Tensor Kandinsky3Img2ImgPipeline::image_to_latents(const torch::Tensor& image,
                                                          const GuidanceBatch& conditioning, double denoise,
                                                          const DenoiseSettings& settings, NoiseSource& noise,
                                                          const LatentStepCallback& on_step) {
  torch::NoGradGuard no_grad;
  const int64_t batch = pictures_of(conditioning, settings);
  if (image.dim() != 4 || image.size(0) != batch || image.size(1) != movq_->config().in_channels)
    throw ConfigError("image-to-image: expected an image batch [" + std::to_string(batch) + ", " +
                      std::to_string(movq_->config().in_channels) + ", H, W], got " + c10::str(image.sizes()));
  const int64_t multiple = size_multiple();
  if (image.size(2) % multiple != 0 || image.size(3) % multiple != 0)
    throw ConfigError("image-to-image: expected width and height multiples of " + std::to_string(multiple) + ", got " +
                      std::to_string(image.size(3)) + "x" + std::to_string(image.size(2)));
  auto sampler = sampler_for(settings);
  sampler->set_timesteps(settings.steps);
  const auto timesteps = sampler->img2img_timesteps(denoise);
  auto latents = encode(image);
  if (timesteps.empty()) return latents;
  auto start = torch::full({batch}, timesteps.front(), torch::TensorOptions().dtype(torch::kLong).device(device()));
  latents = sampler->add_noise(latents, draw(noise, latents.sizes()), start);
  return this->denoise(latents, timesteps, *sampler, conditioning, settings, noise, on_step);
}

torch::Tensor Kandinsky3Img2ImgPipeline::image_to_image(const torch::Tensor& image, const GuidanceBatch& conditioning,
                                                        double denoise, const DenoiseSettings& settings,
                                                        NoiseSource& noise, const LatentStepCallback& on_step) {
  return decode(image_to_latents(image, conditioning, denoise, settings, noise, on_step));
}

torch::Tensor images_to_tensor(const std::vector<ImageRGB8>& images) {
  if (images.empty()) throw ConfigError("images_to_tensor: expected at least one picture, got none");
  const int width = images[0].width, height = images[0].height;
  std::vector<torch::Tensor> batch;
  for (const auto& image : images) {
    if (image.width != width || image.height != height)
      throw ConfigError("images_to_tensor: expected every picture " + std::to_string(width) + "x" +
                        std::to_string(height) + ", got " + std::to_string(image.width) + "x" +
                        std::to_string(image.height));
    if (image.pixels.size() != static_cast<size_t>(width) * height * 3)
      throw ConfigError("images_to_tensor: expected " + std::to_string(static_cast<size_t>(width) * height * 3) +
                        " bytes of RGB pixels, got " + std::to_string(image.pixels.size()));
    auto hwc = torch::from_blob(const_cast<uint8_t*>(image.pixels.data()), {height, width, 3}, torch::kUInt8);
    batch.push_back(hwc.permute({2, 0, 1}).to(torch::kFloat));
  }
  return torch::stack(batch) / 127.5f - 1.0f;
}

torch::Tensor to_unit_range(const torch::Tensor& decoded) {
  return (decoded * 0.5 + 0.5).clamp(0, 1).permute({0, 2, 3, 1}).to(torch::kCPU, torch::kFloat).contiguous();
}

std::vector<ImageRGB8> tensor_to_images(const torch::Tensor& decoded) {
  auto bytes = torch::round(to_unit_range(decoded) * 255.0f).to(torch::kUInt8).contiguous();
  std::vector<ImageRGB8> images;
  for (int64_t b = 0; b < bytes.size(0); ++b) {
    ImageRGB8 image;
    image.height = static_cast<int>(bytes.size(1));
    image.width = static_cast<int>(bytes.size(2));
    image.pixels.resize(static_cast<size_t>(bytes[b].numel()));
    std::memcpy(image.pixels.data(), bytes[b].data_ptr<uint8_t>(), image.pixels.size());
    images.push_back(std::move(image));
  }
  return images;
}

}  // namespace k3
