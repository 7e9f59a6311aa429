// Render options that reach the loop (preview backend): the soundtrack and frame interpolation
// streamed into the video, story segments that start from their own image, the colour
// reference choices with their blend strength, the flip-translation flag, and the warnings
// for settings that would do nothing.
#include "animation/ops/image_convert.h"
#include "animation/render/frame_backend.h"
#include "animation/render/presets.h"
#include "animation/render/render_loop.h"
#include "animation/render/render_warnings.h"
#include "animation/render/run_folder.h"
#include "animation/render/story.h"
#include "base/errors.h"
#include "src/public/model_canvas.h"
#include "tests/support/test_support.h"
#include "tests/video/video_test_util.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <iostream>

using namespace k3::anim;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

RenderSettings settings_from(const json& preset) {
  json full = {{"width", 64}, {"height", 64}, {"frames", 6}, {"fps", 12}, {"output", {{"write_video", false}}}};
  full.merge_patch(preset);
  return parse_render_settings(full, "test");
}

std::vector<std::string> run_preview(const RenderSettings& settings, const std::string& run_dir) {
  std::vector<std::string> messages;
  RenderCallbacks callbacks;
  callbacks.on_message = [&](const std::string& line) { messages.push_back(line); };
  auto backend = make_preview_backend();
  Render::start(settings, run_dir, "test").run(*backend, callbacks);
  return messages;
}

void write_solid_png(const std::string& path, int width, int height, cv::Scalar rgb) {
  cv::Mat bgr(height, width, CV_8UC3, cv::Scalar(rgb[2], rgb[1], rgb[0]));
  REQUIRE(cv::imwrite(path, bgr));
}

cv::Scalar mean_rgb(const cv::Mat& rgb8) { return cv::mean(rgb8); }

double mean_abs_difference(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  cv::Scalar m = cv::mean(diff);
  return (m[0] + m[1] + m[2]) / 3;
}

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& line : lines)
    if (line.find(text) != std::string::npos) return true;
  return false;
}

const json kMoving = {{"seed", {{"seed", 5}}},
                      {"motion", {{"zoom", "0:(1.05)"}, {"angle", "0:(3)"}}},
                      {"generation", {{"noise", "0:(0.08)"}, {"color_coherence", "LAB"}}}};

}  // namespace

TEST_CASE("a render streams its frames into a video with the soundtrack and interpolated frames", "[unit][render]") {
  REQUIRE(k3::test::command_exists("ffprobe"));
  k3::test::TempDir dir("render-sound");
  k3::test::write_sine_wav(dir / "tone.wav", 3.0);
  RenderSettings s = settings_from({{"output",
                                     {{"write_video", true},
                                      {"video", dir / "clip.mp4"},
                                      {"soundtrack", dir / "tone.wav"},
                                      {"soundtrack_offset", 0.25},
                                      {"interpolate", 2}}}});
  auto messages = run_preview(s, dir / "run");
  CHECK(mentions(messages, "video: " + dir / "clip.mp4"));
  const json probe = k3::test::ffprobe(dir / "clip.mp4");
  const json video = k3::test::stream_of_type(probe, "video");
  const json audio = k3::test::stream_of_type(probe, "audio");
  INFO(probe.dump(1));
  REQUIRE(video.is_object());
  REQUIRE(audio.is_object());
  CHECK(std::stol(video.value("nb_read_frames", "0")) == 12);  // 6 frames x 2
  CHECK(video.value("r_frame_rate", "") == "24/1");
  CHECK(k3::test::as_number(audio, "duration") == Approx(0.5).margin(0.05));  // cut to the video's 0.5 s
  // The PNG frames stay the record; no partial file is left beside the video.
  CHECK(fs::exists(dir / "run/frames/000005.png"));
  for (const auto& entry : fs::directory_iterator(dir.path))
    CHECK(entry.path().filename().string().find("partial") == std::string::npos);
}

TEST_CASE("a resumed render streams the frames it already had, then the new ones", "[unit][render]") {
  REQUIRE(k3::test::command_exists("ffprobe"));
  k3::test::TempDir dir("render-sound-resume");
  RenderSettings s = settings_from({{"output", {{"write_video", true}}}});
  auto backend = make_preview_backend();
  Render render = Render::start(s, dir / "run", "test");
  RenderCallbacks stop_at_3;
  stop_at_3.on_progress = [](const RenderProgress& p) { return p.frame < 3; };
  CHECK_THROWS_AS(render.run(*backend, stop_at_3), k3::Cancelled);
  CHECK_FALSE(fs::exists(dir / "run/video.mp4"));  // no half-written video under the final name
  Render::resume(dir / "run").run(*backend);
  const json video = k3::test::stream_of_type(k3::test::ffprobe(dir / "run/video.mp4"), "video");
  CHECK(std::stol(video.value("nb_read_frames", "0")) == 6);
}

TEST_CASE("a story segment after the first starts from its own init_image", "[unit][render]") {
  k3::test::TempDir dir("story-init");
  write_solid_png(dir / "red.png", 64, 64, cv::Scalar(230, 20, 20));
  json preset = {{"generation", {{"color_coherence", "None"}, {"noise", "0:(0)"}, {"cadence", 2}}},
                 {"story", json::array({{{"prompt", "a forest"}, {"duration", 0.25}, {"motion", "zoomin"}},
                                        {{"prompt", "a red wall"}, {"init_image", dir / "red.png"}, {"duration", 0.25},
                                         {"motion", "zoomin"}}})}};
  json full = {{"width", 64}, {"height", 64}, {"fps", 12}, {"output", {{"write_video", false}}}};
  full.merge_patch(preset);
  RenderSettings story = parse_render_settings(full, "test");
  RenderSettings expanded = expand_story(story, [](const std::string& name) { return load_render_settings(find_preset(name)); });
  REQUIRE(expanded.keyframe_images.count(3) == 1);  // segment 2 starts at round(0.25 x 12) = 3
  run_preview(expanded, dir / "run");
  RunFolder folder = RunFolder::open(dir / "run");
  cv::Scalar red = mean_rgb(folder.read_frame(3));
  cv::Scalar before = mean_rgb(folder.read_frame(2));
  std::cout << "story: frame 3 mean RGB " << red << ", frame 2 " << before << "\n";
  CHECK(red[0] > 200);
  CHECK(red[1] < 50);
  CHECK(before[0] < 200);  // frame 2 still belongs to the first segment (the test pattern)
}

TEST_CASE("colour reference: first frame, rolling previous frame, an image file, with a blend strength", "[unit][render]") {
  k3::test::TempDir dir("colour-reference");
  write_solid_png(dir / "teal.png", 64, 64, cv::Scalar(20, 160, 150));
  auto render_frames = [&](const json& generation, const std::string& name) {
    json preset = kMoving;
    preset["generation"].merge_patch(generation);
    run_preview(settings_from(preset), dir / name);
    RunFolder folder = RunFolder::open(dir / name);
    std::vector<cv::Mat> frames;
    for (int i = 0; i < 6; ++i) frames.push_back(folder.read_frame(i));
    return frames;
  };
  auto first = render_frames({{"color_reference", "first_frame"}}, "first");
  auto rolling = render_frames({{"color_reference", "previous"}}, "previous");
  auto every3 = render_frames({{"color_reference", "previous"}, {"color_reference_every", 3}}, "every3");
  auto image = render_frames({{"color_reference", "image"}, {"color_coherence_image", dir / "teal.png"}}, "image");
  auto image_off = render_frames({{"color_reference", "image"}, {"color_coherence_image", dir / "teal.png"},
                                  {"color_strength", 0.0}},
                                 "image-off");
  auto none = render_frames({{"color_coherence", "None"}}, "none");
  CHECK(mean_abs_difference(first[0], rolling[0]) == 0);  // frame 0 is the reference in both
  CHECK(mean_abs_difference(first[5], rolling[5]) > 0.5);
  CHECK(mean_abs_difference(every3[5], rolling[5]) > 0);  // frame 3's palette, not frame 4's
  cv::Scalar teal = mean_rgb(image[5]);
  std::cout << "colour reference image: frame 5 mean RGB " << teal << "\n";
  CHECK(std::abs(teal[1] - 160) < 25);
  CHECK(mean_abs_difference(image_off[5], none[5]) == 0);  // strength 0: the frames unmatched
}

TEST_CASE("motion.flip_drops_translation reproduces Deforum's 2D flip and warns", "[unit][render]") {
  k3::test::TempDir dir("flip-translation");
  json preset = {{"motion", {{"enable_perspective_flip", true}, {"translation_x", "0:(4)"}, {"zoom", "0:(1)"}}},
                 {"generation", {{"noise", "0:(0)"}, {"color_coherence", "None"}, {"anti_blur", {{"amount", "0:(0)"}}}}}};
  run_preview(settings_from(preset), dir / "kept");
  preset["motion"]["flip_drops_translation"] = true;
  auto messages = run_preview(settings_from(preset), dir / "dropped");
  CHECK(mentions(messages, "warning: motion.translation_x/y: no effect on frames 0-5"));
  preset["motion"]["translation_x"] = "0:(0)";
  run_preview(settings_from(preset), dir / "still");
  RunFolder kept = RunFolder::open(dir / "kept"), dropped = RunFolder::open(dir / "dropped"), still = RunFolder::open(dir / "still");
  CHECK(mean_abs_difference(dropped.read_frame(5), still.read_frame(5)) == 0);
  CHECK(mean_abs_difference(kept.read_frame(5), still.read_frame(5)) > 1);
}

TEST_CASE("settings that would do nothing on the model path are named with their frames", "[unit][render]") {
  RenderSettings s = settings_from({{"width", 72},
                                    {"frames", 10},
                                    {"generation", {{"guidance", "0:(3), 4:(1)"}, {"steps", "0:(10)"}, {"denoise", "0:(0.5), 5:(0.5), 6:(0.05)"}}}});
  auto params = evaluate_frame_params(s, 1, "test");
  auto warnings = render_warnings(s, params, k3::kModelSizeMultiple);
  for (const auto& w : warnings) std::cout << "warning: " << w << "\n";
  REQUIRE(warnings.size() == 3);
  CHECK_THAT(warnings[0], Catch::StartsWith("generation.guidance: classifier-free guidance is off on frames 4-9"));
  CHECK_THAT(warnings[1], Catch::StartsWith("generation.denoise: no denoising step on frames 6-9"));
  CHECK_THAT(warnings[2], Catch::StartsWith("width/height: 72x64 is not a multiple of 64") && Catch::Contains("128x64"));
  CHECK(render_warnings(s, params, 0).empty());  // the preview diffuses nothing
  // A model of another size multiple (a MoVQ of 3 levels: x4 times the UNet's x8) names its own.
  CHECK_THAT(render_warnings(s, params, k3::model_size_multiple(4, 4))[2],
             Catch::StartsWith("width/height: 72x64 is not a multiple of 32") && Catch::Contains("96x64"));
  s.model.sampler = "flash";
  warnings = render_warnings(s, params, k3::kModelSizeMultiple);
  CHECK_THAT(warnings[0], Catch::Contains("\"flash\" runs without classifier-free guidance"));
  CHECK(img2img_step_count("original", 7, 1.0) == 8);  // stride 142: 999, 857, ..., 5
  CHECK(img2img_step_count("flash", 50, 0.5) == 2);
  CHECK(frame_ranges({0, 1, 2, 5, 7, 8}) == "0-2, 5, 7-8");
}

TEST_CASE("color_force_grayscale outside the 2D, 3D and None modes says it has no effect", "[unit][render]") {
  for (const std::string mode : {"2D", "3D", "None", "Interpolation"}) {
    const RenderSettings s = settings_from({{"animation_mode", mode}, {"generation", {{"color_force_grayscale", true}}}});
    bool warned = false;
    for (const auto& w : render_warnings(s, evaluate_frame_params(s, 1, "test"), 0))
      warned = warned || w.rfind("generation.color_force_grayscale: no effect in Interpolation mode", 0) == 0;
    INFO(mode);
    CHECK(warned == (mode == "Interpolation"));
  }
}
