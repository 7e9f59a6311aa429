// The model path with the tiny fixture model: every sampler renders a clip from a preset, a
// size off the model's size multiple is diffused on a padded canvas and cropped back (no
// resampling between one frame's output and the next frame's input), and settings that turn
// guidance off are named.
#include "animation/ops/image_convert.h"
#include "animation/render/frame_backend.h"
#include "animation/render/render_loop.h"
#include "animation/render/run_folder.h"
#include "src/public/generator.h"
#include "src/public/model_canvas.h"
#include "tests/support/fixture_set.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

#include <iostream>

using namespace k3::anim;
using nlohmann::json;

namespace {

std::string tiny_model() { return k3::test::fixtures_root() + "/k3-tiny"; }
int tiny_side() { return static_cast<int>(k3::test::fixture::model_geometry().image_side); }

RenderSettings tiny_preset(const json& patch) {
  json preset = {{"width", tiny_side()},
                 {"height", tiny_side()},
                 {"frames", 3},
                 {"prompts", {{"0", "a red fox in the snow"}}},
                 {"seed", {{"seed", 11}}},
                 {"motion", {{"zoom", "0:(1.02)"}}},
                 {"generation", {{"steps", "0:(4)"}, {"denoise", "0:(0.6)"}, {"guidance", "0:(3)"}}},
                 {"model", {{"dir", tiny_model()}}},
                 {"output", {{"write_video", false}}}};
  preset.merge_patch(patch);
  return parse_render_settings(preset, "tiny preset");
}

std::unique_ptr<FrameBackend> backend_for(const RenderSettings& s) {
  k3::GeneratorOptions options;
  options.model_dir = s.model.dir;
  options.sampler = s.model.sampler;
  return make_kandinsky_backend(options);
}

std::vector<std::string> render(const RenderSettings& s, const std::string& run_dir) {
  std::vector<std::string> messages;
  RenderCallbacks callbacks;
  callbacks.on_message = [&](const std::string& line) { messages.push_back(line); };
  auto backend = backend_for(s);
  Render::start(s, run_dir, "tiny preset").run(*backend, callbacks);
  return messages;
}

double max_difference(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  double value = 0;
  cv::minMaxLoc(diff.reshape(1), nullptr, &value);
  return value;
}

}  // namespace

TEST_CASE("every sampler renders a 3-frame clip with the tiny model from a preset", "[unit][render][model]") {
  K3_REQUIRE_FIXTURES();
  k3::test::TempDir dir("samplers");
  std::vector<cv::Mat> last_frames;
  for (const char* sampler : {"ddpm", "ddim", "original", "flash"}) {
    INFO(sampler);
    RenderSettings s = tiny_preset({{"model", {{"sampler", sampler}}}});
    auto messages = render(s, dir / sampler);
    RunFolder folder = RunFolder::open(dir / sampler);
    for (int i = 0; i < 3; ++i) CHECK(folder.read_frame(i).size() == cv::Size(tiny_side(), tiny_side()));
    CHECK(max_difference(folder.read_frame(1), folder.read_frame(2)) > 0);
    bool flash_warned = false;
    for (const auto& m : messages) flash_warned |= m.find("\"flash\" runs without classifier-free guidance") != std::string::npos;
    CHECK(flash_warned == (std::string(sampler) == "flash"));
    last_frames.push_back(folder.read_frame(2));
  }
  for (std::size_t a = 0; a < last_frames.size(); ++a)
    for (std::size_t b = a + 1; b < last_frames.size(); ++b) CHECK(max_difference(last_frames[a], last_frames[b]) > 0);
}

TEST_CASE("a size off the model's multiple is diffused on a padded canvas and cropped, never resampled", "[unit][render][model]") {
  K3_REQUIRE_FIXTURES();
  // The backend: one frame's image-to-image equals the generator's on the padded canvas,
  // cropped back: the frame's own pixels go in and come out without any resize.
  RenderSettings s = tiny_preset({{"width", 72}, {"height", 104}});
  auto backend = backend_for(s);
  cv::Mat init = k3::ops::to_float_rgb(k3::ops::to_u8_rgb(make_test_pattern(72, 104)));
  DiffusionRequest request;
  request.prompt = "a red fox in the snow";
  request.width = 72;
  request.height = 104;
  request.steps = 4;
  request.denoise = 0.5;
  request.seed = 5;
  cv::Mat ours = backend->next_frame(init, request, {});
  REQUIRE(ours.size() == cv::Size(72, 104));

  k3::GeneratorOptions options;
  options.model_dir = tiny_model();
  auto generator = k3::Generator::load(options);
  k3::GenerationRequest g;
  g.prompt = request.prompt;
  // The canvas: the next multiple of the model's MoVQ factor x the UNet's (64 for Kandinsky 3).
  const int multiple = static_cast<int>(k3::test::fixture::model_geometry().size_multiple);
  const k3::ModelCanvas placed = k3::model_canvas(72, 104, multiple);
  g.width = placed.width;
  g.height = placed.height;
  g.steps = 4;
  g.guidance = request.guidance;
  g.denoise = 0.5;
  g.seed = 5;
  cv::Mat canvas;  // the frame in the middle of its canvas, edges replicated
  cv::copyMakeBorder(init, canvas, placed.top, placed.height - 104 - placed.top, placed.left, placed.width - 72 - placed.left,
                     cv::BORDER_REPLICATE);
  cv::Mat reference = k3::ops::to_float_rgb(generator->image_to_image(k3::ops::to_image_rgb8(canvas), g));
  CHECK(max_difference(ours, reference(cv::Rect(placed.left, placed.top, 72, 104))) == 0);

  // The render: every frame at exactly the preset's size, and the size is named once.
  k3::test::TempDir dir("odd-size");
  auto messages = render(s, dir / "run");
  RunFolder folder = RunFolder::open(dir / "run");
  for (int i = 0; i < 3; ++i) CHECK(folder.read_frame(i).size() == cv::Size(72, 104));
  bool named = false;
  const std::string warning = "warning: width/height: 72x104 is not a multiple of " + std::to_string(multiple);
  for (const auto& m : messages) named |= m.find(warning) != std::string::npos;
  CHECK(named == !placed.same_as(72, 104));
}

TEST_CASE("guidance switched off and frames without a denoising step are named when rendering", "[unit][render][model]") {
  K3_REQUIRE_FIXTURES();
  k3::test::TempDir dir("silent");
  RenderSettings s = tiny_preset({{"generation", {{"guidance", "0:(1)"}, {"denoise", "0:(0.6), 2:(0.1)"}}}});
  auto messages = render(s, dir / "run");
  for (const auto& m : messages) std::cout << m << "\n";
  bool guidance = false, steps = false;
  for (const auto& m : messages) {
    guidance |= m.find("warning: generation.guidance: classifier-free guidance is off on frames 0-2") != std::string::npos;
    steps |= m.find("warning: generation.denoise: no denoising step on frames 2") != std::string::npos;
  }
  CHECK(guidance);
  CHECK(steps);
}
