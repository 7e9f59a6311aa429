// A render from start to video: checks and the run folder first, then the one scaffold every
// animation mode runs on (frame_maker.h). Follows A1111 sd-webui-deforum
// scripts/deforum_helpers/render.py (render_animation), journaling the run state after every
// frame instead of guessing it from files on resume (spec deforum.md 1.16).
#include "animation/render/render_loop.h"

#include "animation/render/deforum_frames.h"
#include "animation/render/frame_maker.h"

#include "base/fault_point.h"
#include "animation/ops/image_convert.h"
#include "animation/render/frame_ops.h"
#include "animation/render/frame_params.h"
#include "animation/render/render_video.h"
#include "animation/render/render_warnings.h"
#include "animation/render/run_folder.h"
#include "animation/render/run_state.h"
#include "animation/render/seed_sequence.h"
#include "animation/render/zoom_frames.h"
#include "animation/video/video_writer.h"
#include "base/errors.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <unistd.h>

namespace k3::anim {

namespace fs = std::filesystem;

struct Render::Impl {
  RenderSettings settings;
  std::string source;
  std::vector<FrameParams> params;
  RunFolder folder;
  RunState state;
  cv::Mat init_image;       // CV_32FC3 at the output size, or empty
  cv::Mat color_image;      // "Image" colour coherence reference, or empty
  std::map<int, cv::Mat> keyframe_images;  // later frames started from an image (CV_32FC3)
};

namespace {

// Reads an image file as CV_32FC3 RGB at width x height (Lanczos, as Deforum's init loading).
cv::Mat load_image(const std::string& path, int width, int height, const std::string& key) {
  cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (bgr.empty()) throw ConfigError(key + ": expected a readable image file, got \"" + path + "\"");
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  if (rgb.cols != width || rgb.rows != height) {
    cv::Mat resized;
    cv::resize(rgb, resized, cv::Size(width, height), 0, 0, cv::INTER_LANCZOS4);
    rgb = resized;
  }
  return ops::to_float_rgb(rgb);
}

// The first folder at or above `path` that exists must be writable for the video.
void check_output_location(const std::string& video) {
  fs::path parent = fs::absolute(video).parent_path();
  std::error_code ec;
  while (!parent.empty() && !fs::exists(parent, ec) && parent != parent.parent_path()) parent = parent.parent_path();
  if (!fs::is_directory(parent, ec) || access(parent.c_str(), W_OK) != 0)
    throw ConfigError("output.video: expected a file in a writable folder, got \"" + video + "\" (" + parent.string() +
                      " is not writable)");
  if (fs::is_directory(video, ec)) throw ConfigError("output.video: expected a file name, got the folder \"" + video + "\"");
  try {
    video::codec_from_extension(video);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string("output.video: ") + e.what());
  }
}

std::string absolute_or_empty(const std::string& path) {
  return path.empty() ? path : fs::absolute(path).lexically_normal().string();
}

// Deforum's diffused output is 8-bit; keeping it 8-bit here makes both backends alike.

void prepare_images(const RenderSettings& s, cv::Mat& init_image, cv::Mat& color_image,
                    std::map<int, cv::Mat>& keyframe_images) {
  if (!s.init_image.empty()) init_image = load_image(s.init_image, s.width, s.height, "init_image");
  for (const auto& [frame, path] : s.keyframe_images)
    if (frame < s.frames) keyframe_images[frame] = load_image(path, s.width, s.height, "keyframe_images." + std::to_string(frame));
  if (s.generation.color_coherence == ColorCoherence::Image || s.generation.color_reference == ColorReference::Image)
    color_image = load_image(s.generation.color_coherence_image, s.width, s.height, "generation.color_coherence_image");
}

}  // namespace

Render::Render(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Render::~Render() = default;
Render::Render(Render&&) noexcept = default;
Render& Render::operator=(Render&&) noexcept = default;
const RenderSettings& Render::settings() const { return impl_->settings; }
const std::string& Render::run_dir() const { return impl_->folder.dir(); }
int Render::next_frame() const { return impl_->state.next_frame; }

Render Render::start(RenderSettings settings, const std::string& run_dir, const std::string& source) {
  if (!settings.story.empty()) throw ConfigError(source + ": story: expected an expanded story (expand_story), got segments");
  if (settings.seed.seed < 0) settings.seed.seed = draw_random_seed();
  settings.init_image = absolute_or_empty(settings.init_image);
  settings.generation.color_coherence_image = absolute_or_empty(settings.generation.color_coherence_image);
  settings.output.video = absolute_or_empty(settings.output.video);
  settings.output.soundtrack = absolute_or_empty(settings.output.soundtrack);
  settings.model.dir = absolute_or_empty(settings.model.dir);  // --resume may run from another folder
  // Everything that can be wrong is checked before the run folder exists.
  auto params = evaluate_frame_params(zoom_schedule_settings(settings), settings.seed.seed, source);
  FrameOperations check_ops(settings);
  if (settings.animation_mode == AnimationMode::Zoom) check_zoom_settings(settings);
  if (!settings.output.video.empty() && settings.output.write_video) check_output_location(settings.output.video);
  cv::Mat init_image, color_image;
  std::map<int, cv::Mat> keyframe_images;
  prepare_images(settings, init_image, color_image, keyframe_images);
  RunFolder folder = RunFolder::create(run_dir.empty() ? default_run_dir(settings.name) : run_dir);
  try {
    folder.write_settings(to_json(settings));
    fault_point("settings.written");
  } catch (...) {
    folder.remove_created();
    throw;
  }
  auto impl = std::make_unique<Impl>(Impl{settings, source, std::move(params), folder, RunState{}, init_image, color_image,
                                            std::move(keyframe_images)});
  impl->state.total_frames = settings.frames;
  return Render(std::move(impl));
}

Render Render::resume(const std::string& run_dir) {
  RunFolder folder = RunFolder::open(run_dir);
  std::string source = folder.settings_path();
  RenderSettings settings = parse_render_settings(folder.read_settings(), source);
  auto params = evaluate_frame_params(zoom_schedule_settings(settings), settings.seed.seed, source);
  auto impl = std::make_unique<Impl>(Impl{settings, source, std::move(params), folder, RunState{}, {}, {}, {}});
  prepare_images(impl->settings, impl->init_image, impl->color_image, impl->keyframe_images);
  if (auto state = load_run_state(folder)) {
    if (state->total_frames != settings.frames)
      throw FileError(folder.journal_path() + ": expected a journal for " + std::to_string(settings.frames) + " frames, got " +
                      std::to_string(state->total_frames));
    impl->state = *state;
  }
  impl->state.total_frames = settings.frames;
  return Render(std::move(impl));
}

std::vector<std::string> render_prompts(const RenderSettings& settings, const std::string& source) {
  const auto params = evaluate_frame_params(zoom_schedule_settings(settings), settings.seed.seed, source);
  return prompt_texts(params, 0, static_cast<int>(params.size()));
}

std::vector<std::string> Render::pending_prompts() const {
  // Zoom clips use the parameters of their keyframes, which lie at or after the next frame too.
  const int from = impl_->settings.animation_mode == AnimationMode::Zoom ? 0 : impl_->state.next_frame;
  return prompt_texts(impl_->params, from, static_cast<int>(impl_->params.size()));
}

// The one scaffold of every mode: progress, cancellation, and after every frame its PNG, the
// streamed video and the journal.
RenderResult Render::run(FrameBackend& backend, const RenderCallbacks& callbacks) {
  Impl& impl = *impl_;
  const RenderSettings& s = impl.settings;
  RunState& state = impl.state;
  const int total = s.frames;
  auto say = [&](const std::string& line) {
    if (callbacks.on_message) callbacks.on_message(line);
  };

  std::unique_ptr<FrameMaker> maker =
      s.animation_mode == AnimationMode::Zoom
          ? make_zoom_frames(ZoomInputs{s, impl.params, impl.init_image, impl.color_image})
          : make_deforum_frames(DeforumInputs{s, impl.params, impl.init_image, impl.color_image, impl.keyframe_images}, state,
                                impl.folder.dir());

  RenderResult result;
  result.run_dir = impl.folder.dir();
  result.frames = total;
  result.resumed_from = state.next_frame;
  // Settings that would do nothing are named before the first frame (never silently).
  if (state.next_frame < total) {
    for (const std::string& warning : render_warnings(s, impl.params, backend.size_multiple())) say("warning: " + warning);
    for (const std::string& warning : maker->warnings()) say("warning: " + warning);
  }

  RenderProgress progress;
  progress.total_frames = total;
  progress.first_frame = state.next_frame;
  FrameContext context{state, impl.folder, backend, progress, {}, {}};
  context.report = [&]() {
    if (callbacks.on_progress && !callbacks.on_progress(progress))
      throw Cancelled("render stopped at frame " + std::to_string(progress.frame) + "; continue with --resume " + impl.folder.dir());
  };
  context.on_step = [&](int step, int total_steps) {
    progress.step = step;
    progress.total_steps = total_steps;
    return !callbacks.on_progress || callbacks.on_progress(progress);
  };
  maker->prepare(context);

  // Frames stream into the encoder as they are made; the PNGs stay the record --resume reads.
  std::unique_ptr<RenderVideo> video = RenderVideo::open(s, impl.folder, state.next_frame);
  for (int j = state.next_frame; j < total; ++j) {
    progress.frame = j;
    progress.step = progress.total_steps = 0;
    progress.frame_written = false;
    const cv::Mat frame = maker->make(j, context);
    const cv::Mat frame8 = ops::to_u8_rgb(frame);
    impl.folder.write_frame(j, frame8);
    if (video) video->add(frame8);
    state.next_frame = j + 1;
    maker->written(j, frame, context);
    save_run_state(impl.folder, state);
    progress.frame_written = true;
    context.report();
  }
  if (video) {
    result.video_path = video->finish();
    say("video: " + result.video_path);
  }
  return result;
}

}  // namespace k3::anim
