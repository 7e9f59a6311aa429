// Inpainting: the 9-channel UNet input, the mask convention, the 4-channel blend, the oracle
// round trip, outpainting canvases and the Generator facade.
#include "base/errors.h"
#include "src/public/generator.h"
#include "src/pipeline/inpaint_pipeline.h"
#include "src/models/movq_config.h"
#include "src/sampling/sampler.h"
#include "src/sampling/scheduler_config.h"
#include "src/models/unet_config.h"
#include "tests/core/core_golden_support.h"
#include "tests/core/inpaint_test_support.h"
#include "tests/support/fixture_set.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>

namespace {

using namespace k3;

std::string tiny() { return k3::test::fixtures_root() + "/k3-tiny"; }

// The tiny model's sizes: the test picture is two model squares wide and high (128 pixels, 16
// latents in Kandinsky 3's tiny set), repainted in its right half.
struct Sizes {
  k3::test::fixture::ModelGeometry model = k3::test::fixture::model_geometry();
  int64_t side = 2 * model.image_side;               // picture pixels
  int64_t latent = side / model.downscale;           // latent pixels
  int64_t channels = model.latent_channels;          // latent channels C; the inpainting UNet takes 2C+1
};

VQModel load_tiny_movq() {
  auto config = MoVQConfig::from_file(tiny() + "/movq/config.json");
  VQModel movq(config, true);
  k3::test::core::load_component(*movq, tiny(), "movq");
  movq->eval();
  return movq;
}

SchedulerConfig unclipped_scheduler() {
  auto config = SchedulerConfig::from_file(tiny() + "/scheduler/scheduler_config.json");
  config.clip_sample = false;     // the oracle's latents may exceed [-1, 1]
  config.set_alpha_to_one = true;  // DDIM's last step then lands exactly on x0
  return config;
}

GuidanceBatch random_conditioning(int64_t rows) {
  GuidanceBatch batch;
  batch.embeds = torch::randn({rows, 6, Sizes().model.text_width});
  batch.mask = torch::ones({rows, 6}, torch::kBool);
  return batch;
}

// A smooth test picture in [-1, 1], [1, 3, side, side].
torch::Tensor test_image() {
  const int64_t n = Sizes().side;
  auto y = torch::linspace(-1, 1, n).view({1, 1, n, 1});
  auto x = torch::linspace(-1, 1, n).view({1, 1, 1, n});
  return torch::cat({0.8 * torch::sin(3 * x + y).expand({1, 1, n, n}), 0.6 * (x * y).expand({1, 1, n, n}),
                     0.5 * torch::cos(2 * y - x).expand({1, 1, n, n})}, 1);
}

// Repaint the right half (columns >= side / 2).
torch::Tensor right_half_mask() {
  const int64_t n = Sizes().side;
  auto mask = torch::zeros({1, 1, n, n});
  mask.slice(3, n / 2) = 1;
  return mask;
}

// The noise the sampler should see for a target x0: eps = (x - sqrt(ac) x0) / sqrt(1 - ac).
torch::Tensor true_noise(const torch::Tensor& x, const torch::Tensor& x0, double ac) {
  return (x - std::sqrt(ac) * x0) / std::sqrt(1 - ac);
}

// Records what the UNet would be given; predicts the noise towards keep * known + (1 - keep) * 0,
// reading `keep` from the input's mask channel like a trained inpainting model would use it.
struct InpaintingOracle : Denoiser {
  torch::Tensor known, alphas_cumprod;
  std::vector<torch::Tensor> inputs;
  torch::Tensor predict_noise(const torch::Tensor& input, const torch::Tensor& timestep,
                              const DenoiserContext&) override {
    inputs.push_back(input.clone());
    const int64_t c = (input.size(1) - 1) / 2;  // [latent C, keep mask 1, masked-image latent C]
    const auto x = input.slice(1, 0, c);
    const auto keep = input.slice(1, c, c + 1);
    const auto target = keep * known.expand_as(x);
    return true_noise(x, target, alphas_cumprod[timestep.item<int64_t>()].item<double>());
  }
};

// A 4-channel model role: predicts the noise towards an all-zero latent everywhere; only the
// pipeline's blend can keep the known region.
struct ZeroTargetOracle : Denoiser {
  torch::Tensor alphas_cumprod;
  int calls = 0;
  torch::Tensor predict_noise(const torch::Tensor& input, const torch::Tensor& timestep,
                              const DenoiserContext&) override {
    ++calls;
    return true_noise(input, torch::zeros_like(input), alphas_cumprod[timestep.item<int64_t>()].item<double>());
  }
};

// Largest absolute difference over the columns [from, to) of [B, 3, H, W] pictures.
double max_error(const torch::Tensor& a, const torch::Tensor& b, int64_t from, int64_t to) {
  return (a.slice(3, from, to) - b.slice(3, from, to)).abs().max().item<double>();
}

}  // namespace

TEST_CASE("the 9-channel UNet gets [latent, keep mask, masked-image latent] in that order", "[unit]") {
  K3_REQUIRE_FIXTURES();
  torch::manual_seed(1);
  Kandinsky3UNet unet(UNetConfig::from_json(k3::test::inpaint::inpainting_unet_config_json(), "test"));
  k3::test::inpaint::randomize(*unet, 3);
  const Sizes s;
  const int64_t c = s.channels, half = s.latent / 2;
  REQUIRE(unet->config().out_channels() == c);
  REQUIRE(unet->conv_in->weight.size(1) == 2 * c + 1);
  auto movq = load_tiny_movq();
  Kandinsky3InpaintPipeline pipeline(unet, movq, unclipped_scheduler());
  REQUIRE(pipeline.uses_inpainting_unet());
  auto oracle = std::make_shared<InpaintingOracle>();
  torch::NoGradGuard no_grad;
  const auto image = test_image();
  oracle->known = movq->encode(image);
  oracle->alphas_cumprod = make_sampler("ddim", unclipped_scheduler())->alphas_cumprod();
  pipeline.set_denoiser(oracle);

  DenoiseSettings settings;
  settings.steps = 3;
  settings.sampler = "ddim";
  const auto start = torch::randn({1, c, s.latent, s.latent});
  RecordedNoise noise({start});
  pipeline.inpaint_latents(image, right_half_mask(), random_conditioning(2), 1.0, settings, noise);

  REQUIRE(oracle->inputs.size() == 3);
  const auto& first = oracle->inputs.front();
  REQUIRE(first.sizes() == at::IntArrayRef({2, 2 * c + 1, s.latent, s.latent}));  // both guidance halves
  // Channels [0, C): the latents (the starting noise at the first step), in both halves.
  CHECK(torch::equal(first.slice(1, 0, c)[0], start[0]));
  CHECK(torch::equal(first.slice(1, 0, c)[1], start[0]));
  // Channel C: 1 = keep (left half), 0 = repaint (right half): the original's 1 - user mask.
  const auto mask = first.slice(1, c, c + 1);
  CHECK(mask.slice(3, 0, half).min().item<float>() == 1.0f);
  CHECK(mask.slice(3, half, s.latent).max().item<float>() == 0.0f);
  // Channels [C+1, 2C+1): movq.encode of the image zeroed where repainting.
  auto masked_image = image.clone();
  masked_image.slice(3, s.side / 2) = 0;
  const auto expected = movq->encode(masked_image);
  const double error = (first.slice(1, c + 1, 2 * c + 1)[1] - expected[0]).abs().max().item<double>();
  INFO("masked latent max error " << error);
  CHECK(error < 1e-5);
  // The masked latent differs from the full image's (so the check above can tell them apart).
  CHECK((oracle->known - expected).abs().max().item<double>() > 1e-2);
}

// The tiny MoVQ decoder has a global attention block, so in pixels nothing is "far from the
// seam": the known region is checked in latent space (where the decoder's locality plays no
// part), and the final picture against the decode of the latents the oracle aimed for.
TEST_CASE("with an oracle denoiser, 9-channel inpainting keeps the known region", "[unit]") {
  K3_REQUIRE_FIXTURES();
  Kandinsky3UNet unet(UNetConfig::from_json(k3::test::inpaint::inpainting_unet_config_json(), "test"));
  k3::test::inpaint::randomize(*unet, 3);
  auto movq = load_tiny_movq();
  Kandinsky3InpaintPipeline pipeline(unet, movq, unclipped_scheduler());
  auto oracle = std::make_shared<InpaintingOracle>();
  torch::NoGradGuard no_grad;
  const auto image = test_image();
  oracle->known = movq->encode(image);
  oracle->alphas_cumprod = make_sampler("ddim", unclipped_scheduler())->alphas_cumprod();
  pipeline.set_denoiser(oracle);
  DenoiseSettings settings;
  settings.steps = 10;
  settings.sampler = "ddim";
  SeededNoise noise(5);
  const auto latents = pipeline.inpaint_latents(image, right_half_mask(), random_conditioning(2), 1.0, settings, noise);
  // The left half of the latent columns is kept, the right half repainted (towards 0 by this oracle).
  const int64_t n = Sizes().latent, half = n / 2;
  const double kept_error = max_error(latents, oracle->known, 0, half);
  const double repainted = latents.slice(3, half, n).abs().max().item<double>();
  auto aimed = oracle->known.clone();
  aimed.slice(3, half) = 0;
  const double picture_error = (pipeline.decode(latents) - pipeline.decode(aimed)).abs().max().item<double>();
  const double known_scale = oracle->known.abs().max().item<double>();
  std::cout << "9-channel oracle (DDIM, 10 steps): kept latents max error " << kept_error << " (latent scale "
            << known_scale << "), repainted latents max " << repainted << ", picture vs aimed decode max "
            << picture_error << "\n";
  CHECK(kept_error < 1e-4);
  CHECK(repainted < 1e-4);
  CHECK(picture_error < 1e-3);
  CHECK(known_scale > 0.5);  // an inverted mask would zero the kept region: far from the check
}

TEST_CASE("a 4-channel UNet inpaints by blending the re-noised known latents", "[unit]") {
  K3_REQUIRE_FIXTURES();
  auto unet_config = UNetConfig::from_file(tiny() + "/unet/config.json");
  Kandinsky3UNet unet(unet_config);
  k3::test::core::load_component(*unet, tiny(), "unet");
  auto movq = load_tiny_movq();
  Kandinsky3InpaintPipeline pipeline(unet, movq, SchedulerConfig::from_file(tiny() + "/scheduler/scheduler_config.json"));
  REQUIRE_FALSE(pipeline.uses_inpainting_unet());
  auto oracle = std::make_shared<ZeroTargetOracle>();
  oracle->alphas_cumprod = make_sampler("ddpm", pipeline.scheduler_config())->alphas_cumprod();
  pipeline.set_denoiser(oracle);
  torch::NoGradGuard no_grad;
  const auto image = test_image();
  const auto known = movq->encode(image);
  DenoiseSettings settings;
  settings.steps = 8;  // DDPM: stochastic steps, clipped x0
  SeededNoise noise(9);
  const auto latents = pipeline.inpaint_latents(image, right_half_mask(), random_conditioning(2), 1.0, settings, noise);
  CHECK(oracle->calls == 8);
  const int64_t n = Sizes().latent, half = n / 2;
  const double kept_error = max_error(latents, known, 0, half);
  const double repainted = latents.slice(3, half, n).abs().max().item<double>();
  std::cout << "4-channel blend (DDPM, 8 steps): kept latents max error " << kept_error
            << ", repainted latents max " << repainted << " (known latents max "
            << known.slice(3, half, n).abs().max().item<double>() << ")\n";
  CHECK(kept_error < 1e-6);  // the last step takes the known latents as they are
  CHECK(repainted < 0.05);   // the oracle's target there
  CHECK(known.slice(3, half, n).abs().max().item<double>() > 0.5);
  // One more step count through the whole picture path: decode of what was aimed for.
  SeededNoise again(9);
  const auto picture = pipeline.inpaint(image, right_half_mask(), random_conditioning(2), 1.0, settings, again);
  CHECK((picture - pipeline.decode(latents)).abs().max().item<double>() < 1e-5);
}

TEST_CASE("mask helpers: dilation grows the repaint region, latent masks keep whole cells", "[unit]") {
  auto mask = torch::zeros({1, 1, 32, 32});
  mask.index_put_({0, 0, 16, 16}, 1.0);
  auto grown = dilate_repaint_mask(mask, 3);  // the notebook's three 5x5 passes: radius 6
  CHECK(grown.sum().item<double>() == 13 * 13);
  CHECK(grown.index({0, 0, 10, 10}).item<float>() == 1.0f);
  CHECK(grown.index({0, 0, 9, 16}).item<float>() == 0.0f);
  auto edge = torch::zeros({1, 1, 16, 16});
  edge.slice(3, 7) = 1;  // repaint from column 7: latent cell 0 (columns 0-7) is partly repainted
  CHECK(latent_keep_mask(edge, 2, 2, false).slice(3, 0, 1).max().item<float>() == 0.0f);
  CHECK(latent_keep_mask(edge, 2, 2, true).slice(3, 0, 1).min().item<float>() == 1.0f);  // nearest: pixel 0
}

TEST_CASE("outpaint canvas: picture in the middle, white border mask, edge colours outside", "[unit]") {
  ImageRGB8 image;
  image.width = 4;
  image.height = 3;
  image.pixels.resize(4 * 3 * 3);
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    image.pixels[i] = 200;
    image.pixels[i + 1] = 100;
    image.pixels[i + 2] = static_cast<uint8_t>(i);
  }
  const auto canvas = make_outpaint_canvas(image, 5, 1, 2, 6, 3);
  REQUIRE(canvas.image.width == 11);
  REQUIRE(canvas.image.height == 10);
  auto at = [&](const ImageRGB8& im, int x, int y, int c) { return im.pixels[(static_cast<size_t>(y) * im.width + x) * 3 + c]; };
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x) {
      CHECK(at(canvas.image, x + 5, y + 1, 2) == at(image, x, y, 2));
      CHECK(at(canvas.mask, x + 5, y + 1, 0) == 0);
    }
  CHECK(at(canvas.mask, 0, 0, 0) == 255);
  CHECK(at(canvas.mask, 10, 9, 1) == 255);
  // Uniform channels stay uniform in the border (replicated then blurred).
  CHECK(at(canvas.image, 0, 9, 0) == 200);
  CHECK(at(canvas.image, 10, 0, 1) == 100);
  CHECK_THROWS_AS(make_outpaint_canvas(image, -1, 0, 0, 0), k3::ConfigError);
  // Re-compositing puts the kept pixels back.
  ImageRGB8 painted = canvas.image;
  std::fill(painted.pixels.begin(), painted.pixels.end(), 7);
  const auto merged = composite_kept_pixels(painted, canvas.image, canvas.mask);
  CHECK(at(merged, 6, 2, 0) == 200);
  CHECK(at(merged, 0, 0, 0) == 7);
}

TEST_CASE("Generator inpaint and outpaint run the tiny base model with a seed", "[unit]") {
  K3_REQUIRE_FIXTURES();
  GeneratorOptions options;
  options.model_dir = tiny();
  auto generator = Generator::load(options);
  GenerationRequest request;
  request.prompt = "a red fox";
  request.steps = 3;
  request.seed = 4;
  // One and a half model squares wide (96 x 64 in Kandinsky 3's tiny set): not a multiple of the
  // model's square, so the facade pads and crops.
  const int side = static_cast<int>(k3::test::fixture::model_geometry().image_side);
  const int width = side * 3 / 2, height = side;
  ImageRGB8 image;
  image.width = width;
  image.height = height;
  image.pixels.assign(static_cast<size_t>(width) * height * 3, 90);
  ImageRGB8 mask = image;
  std::fill(mask.pixels.begin(), mask.pixels.end(), 0);
  for (int y = 0; y < height; ++y)
    for (int x = width / 2; x < width; ++x)
      for (int c = 0; c < 3; ++c) mask.pixels[(static_cast<size_t>(y) * width + x) * 3 + c] = 255;
  int steps_seen = 0;
  const auto a = generator->inpaint(image, mask, request, [&](int, int) { return ++steps_seen, true; });
  const auto b = generator->inpaint(image, mask, request);
  CHECK(steps_seen == 3);
  CHECK(a.width == width);
  CHECK(a.height == height);
  CHECK(a.pixels == b.pixels);
  request.mask_dilation = 3;
  const auto dilated = generator->inpaint(image, mask, request);
  CHECK(dilated.pixels != a.pixels);  // a wider repainted band changes the picture
  request.mask_dilation = 0;
  const auto wider = generator->outpaint(image, 16, 0, 16, 8, request);
  CHECK(wider.width == width + 32);
  CHECK(wider.height == height + 8);
  ImageRGB8 wrong = mask;
  wrong.width = 10;
  CHECK_THROWS_AS(generator->inpaint(image, wrong, request), k3::ConfigError);
}

TEST_CASE("Generator loads a 9-channel model folder and paints with it", "[unit]") {
  K3_REQUIRE_FIXTURES();
  k3::test::TempDir dir("inpainting_model");
  k3::test::inpaint::write_inpainting_model_folder(dir.path, 11);
  GeneratorOptions options;
  options.model_dir = dir.path;
  options.sampler = "original";
  auto generator = Generator::load(options);
  GenerationRequest request;
  request.prompt = "a lighthouse";
  request.steps = 3;
  const int side = static_cast<int>(k3::test::fixture::model_geometry().image_side);
  request.width = side;
  request.height = side;
  const auto text = generator->text_to_image(request);
  CHECK(text.width == side);
  ImageRGB8 mask = text;
  std::fill(mask.pixels.begin(), mask.pixels.end(), 0);
  std::fill(mask.pixels.begin(), mask.pixels.begin() + static_cast<size_t>(side / 2) * side * 3, 255);  // top half
  const auto painted = generator->inpaint(text, mask, request);
  CHECK(painted.width == side);
  CHECK(painted.height == side);
  const auto wider = generator->outpaint(text, 0, 0, side, 0, request);
  CHECK(wider.width == 2 * side);
}

namespace {
// Mean absolute difference of two pictures, in 8-bit levels.
double mean_difference(const ImageRGB8& a, const ImageRGB8& b) {
  REQUIRE(a.pixels.size() == b.pixels.size());
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
  return sum / static_cast<double>(a.pixels.size());
}
}  // namespace

TEST_CASE("composable prompts condition inpainting and outpainting as they do text-to-image", "[unit]") {
  // Weights 1 and 0 are the first prompt alone up to the numerics of a larger UNet batch (three
  // rows instead of two; text-to-image shows the same on these random tiny models), far closer to
  // it than an even blend of the two prompts is. With the base model (a 4-channel UNet) and a
  // 9-channel one under the original sampler (its null context for the unconditional row).
  K3_REQUIRE_FIXTURES();
  k3::test::TempDir dir("composable_inpaint");
  k3::test::inpaint::write_inpainting_model_folder(dir.path, 11);
  const int side = static_cast<int>(k3::test::fixture::model_geometry().image_side);
  for (const bool nine_channels : {false, true}) {
    GeneratorOptions options;
    options.model_dir = nine_channels ? dir.path : tiny();
    if (nine_channels) options.sampler = "original";
    auto generator = Generator::load(options);
    GenerationRequest fox;
    fox.prompt = "a red fox";
    fox.steps = 3;
    fox.seed = 8;
    fox.width = side;
    fox.height = side;
    const auto picture = generator->text_to_image(fox);
    ImageRGB8 mask = picture;
    std::fill(mask.pixels.begin(), mask.pixels.end(), 0);
    std::fill(mask.pixels.begin(), mask.pixels.begin() + static_cast<size_t>(side / 2) * side * 3, 255);
    GenerationRequest first_only = fox, even = fox, castle = fox;
    first_only.composable = {{"a red fox", 1.0}, {"a castle on a hill", 0.0}};
    even.composable = {{"a red fox", 0.5}, {"a castle on a hill", 0.5}};
    castle.prompt = "a castle on a hill";
    const auto inpainted = [&](const GenerationRequest& r) { return generator->inpaint(picture, mask, r); };
    const auto outpainted = [&](const GenerationRequest& r) { return generator->outpaint(picture, side / 2, 0, side / 2, 0, r); };
    const double t2i_same = mean_difference(generator->text_to_image(first_only), picture);
    const double in_same = mean_difference(inpainted(first_only), inpainted(fox));
    const double in_blend = mean_difference(inpainted(even), inpainted(fox));
    const double in_blend_castle = mean_difference(inpainted(even), inpainted(castle));
    const double out_same = mean_difference(outpainted(first_only), outpainted(fox));
    const double out_blend = mean_difference(outpainted(even), outpainted(fox));
    std::cout << (nine_channels ? "9" : "4") << "-channel UNet, mean difference in levels: weights 1 and 0 vs the "
              << "first prompt alone " << t2i_same << " (text-to-image), " << in_same << " (inpaint), " << out_same
              << " (outpaint); an even blend vs the first prompt " << in_blend << " (inpaint), " << out_blend
              << " (outpaint), vs the second " << in_blend_castle << " (inpaint)\n";
    INFO((nine_channels ? "9-channel UNet" : "4-channel UNet"));
    // (Half: fixture set B's random 4-channel model turns the larger batch's rounding into 2-3
    // levels on average even in text-to-image; an ignored composable prompt gives a blend of 0.)
    CHECK(in_same < 0.5 * in_blend);
    CHECK(out_same < 0.5 * out_blend);
    CHECK(in_blend_castle > 2 * in_same);
  }
}
