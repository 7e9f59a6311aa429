// Follows A1111 sd-webui-deforum scripts/deforum_helpers/render.py (render_animation: the
// turbo_prev/turbo_next cadence buffers and the per-frame chain), with two deliberate changes:
// the last cadence block is emitted instead of dropped (spec deforum.md 3.11), and the run
// state is journaled after every frame instead of being guessed from files on resume (1.16).
#include "animation/render/render_loop.h"

#include "animation/render/first_frame.h"

#include "base/fault_point.h"
#include "animation/ops/image_convert.h"
#include "animation/render/depth_provider.h"
#include "animation/render/frame_ops.h"
#include "animation/render/frame_params.h"
#include "animation/render/prompt_blend.h"
#include "animation/render/render_video.h"
#include "animation/render/render_warnings.h"
#include "animation/render/run_folder.h"
#include "animation/render/run_state.h"
#include "animation/render/seed_sequence.h"
#include "animation/render/zoom_render.h"
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
  if (s.generation.color_coherence == "Image" || s.generation.color_reference == "image")
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
  if (settings.animation_mode == "zoom") check_zoom_settings(settings);
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
  const int from = impl_->settings.animation_mode == "zoom" ? 0 : impl_->state.next_frame;
  return prompt_texts(impl_->params, from, static_cast<int>(impl_->params.size()));
}

RenderResult Render::run(FrameBackend& backend, const RenderCallbacks& callbacks) {
  Impl& impl = *impl_;
  const RenderSettings& s = impl.settings;
  RunState& state = impl.state;
  const int total = s.frames;
  const int cadence = s.animation_mode == "Interpolation" ? 1 : s.generation.cadence;
  auto say = [&](const std::string& line) {
    if (callbacks.on_message) callbacks.on_message(line);
  };

  FrameOperations frame_ops(s);
  std::optional<DepthMapWriter> depth_maps;
  if (s.motion.save_depth_maps && frame_ops.uses_depth()) depth_maps.emplace(impl.folder.dir() + "/depth");
  if (!state.color_reference.empty()) frame_ops.set_color_reference(state.color_reference);
  else if (!impl.color_image.empty()) frame_ops.set_color_reference(impl.color_image);

  SeedSequence seeds(parse_seed_behavior(s.seed.behavior), s.seed.seed, s.seed.iter_n,
                     [&](int frame) { return impl.params[static_cast<std::size_t>(frame)].seed_schedule; });
  if (state.next_frame > 0) seeds.restore(state.seed);

  RenderResult result;
  result.run_dir = impl.folder.dir();
  result.frames = total;
  result.resumed_from = state.next_frame;
  // Settings that would do nothing are named before the first frame (never silently).
  if (state.next_frame < total) {
    for (const std::string& warning : render_warnings(s, impl.params, backend.name() != "preview")) say("warning: " + warning);
    for (const std::string& warning : frame_ops.warnings()) say("warning: " + warning);
  }

  auto finish_video = [&](RenderVideo* video) {
    if (!video) return;
    result.video_path = video->finish();
    say("video: " + result.video_path);
  };

  if (s.animation_mode == "zoom") {
    render_zoom_frames(ZoomRenderInputs{s, impl.params, impl.folder, impl.init_image, impl.color_image}, state, backend,
                       callbacks);
    finish_video(RenderVideo::open(s, impl.folder, total).get());
    return result;
  }

  if (state.next_frame < total) backend.prepare(prompt_texts(impl.params, state.next_frame, total), impl.folder.dir());

  // Frames stream into the encoder as they are made; the PNGs stay the record --resume reads.
  std::unique_ptr<RenderVideo> video = RenderVideo::open(s, impl.folder, state.next_frame);

  RenderProgress progress;
  progress.total_frames = total;
  progress.first_frame = state.next_frame;
  auto report = [&]() {
    if (callbacks.on_progress && !callbacks.on_progress(progress))
      throw Cancelled("render stopped at frame " + std::to_string(progress.frame) + "; continue with --resume " + impl.folder.dir());
  };

  if (state.next_frame > 0 && state.next_frame < total && !state.turbo_next)
    throw FileError(impl.folder.state_dir() + ": expected the journal's frame buffer to resume at frame " +
                    std::to_string(state.next_frame) + ", got none");
  for (int j = state.next_frame; j < total; ++j) {
    const FrameParams& params = impl.params[static_cast<std::size_t>(j)];
    progress.frame = j;
    progress.step = progress.total_steps = 0;
    const auto keyframe_image = impl.keyframe_images.find(j);
    const bool from_image = keyframe_image != impl.keyframe_images.end();
    // Interpolation mode: every frame from its (blended) prompts alone, no warp, no cadence.
    const bool interpolation = s.animation_mode == "Interpolation";
    progress.diffused = j % cadence == 0 || from_image || interpolation;
    progress.frame_written = false;

    if (progress.diffused) {
      DiffusionRequest request = diffusion_request(s, params, j, seeds.take(j));
      state.last_seed = request.seed;
      StepProgress on_step = [&](int step, int total_steps) {
        progress.step = step;
        progress.total_steps = total_steps;
        return !callbacks.on_progress || callbacks.on_progress(progress);
      };

      cv::Mat output;
      if (j == 0 || interpolation) {
        output = render_first_frame(backend, frame_ops, j == 0 ? impl.init_image : cv::Mat(), s, request, on_step);
      } else if (from_image) {
        // A story segment's own start: diffused from its image as frame 0 is; no tween across it.
        output = render_first_frame(backend, frame_ops, keyframe_image->second, s, request, on_step);
        state.turbo_next.reset();
      } else {
        request.denoise = params.denoise;
        const CadenceBuffer& previous = *state.turbo_next;  // the last diffused frame, warped up to j-1
        cv::Mat warped = frame_ops.warp(previous.image, params, j);
        cv::Mat init = frame_ops.prepare_init(warped, params, request.seed);
        output = quantize_to_8bit(frame_ops.match_output(backend.next_frame(init, request, on_step)));
      }
      state.turbo_prev = state.turbo_next;
      state.turbo_next = CadenceBuffer{output, j};
      state.seed = seeds.state();
    }

    // Cadence tween (A1111 render.py): both buffers follow the motion up to frame j, then blend.
    // Their 3D warps share one depth, predicted on turbo_next before it moves (as Deforum does).
    double tween = static_cast<double>(j % cadence + 1) / cadence;
    // A buffer that takes no part in the blend (tween 1) is not worth a depth prediction.
    const bool prev_moves = state.turbo_prev && j > state.turbo_prev->index && !(frame_ops.uses_depth() && tween >= 1.0);
    const bool next_moves = j > state.turbo_next->index;
    cv::Mat tween_depth;
    const bool tween_has_depth = (prev_moves || next_moves) && frame_ops.uses_depth();
    if (tween_has_depth) tween_depth = frame_ops.depth_for(state.turbo_next->image, j);
    const cv::Mat* shared_depth = tween_has_depth ? &tween_depth : nullptr;
    if (prev_moves) state.turbo_prev = CadenceBuffer{frame_ops.warp(state.turbo_prev->image, params, j, shared_depth), j};
    if (next_moves) state.turbo_next = CadenceBuffer{frame_ops.warp(state.turbo_next->image, params, j, shared_depth), j};
    // save_depth_maps: a tween's own depth; a diffused frame's depth predicted on its output.
    if (depth_maps) {
      if (!tween_has_depth) frame_ops.depth_for(state.turbo_next->image, j);
      depth_maps->write(frame_ops.last_raw_depth(), j);
    }
    cv::Mat frame;
    if (state.turbo_prev && tween < 1.0)
      cv::addWeighted(state.turbo_prev->image, 1.0 - tween, state.turbo_next->image, tween, 0.0, frame);
    else
      frame = state.turbo_next->image;

    cv::Mat frame8 = ops::to_u8_rgb(frame);
    impl.folder.write_frame(j, frame8);
    if (video) video->add(frame8);
    state.next_frame = j + 1;
    frame_ops.observe_output(frame, j);
    state.color_reference = frame_ops.color_reference();
    save_run_state(impl.folder, state);
    progress.frame_written = true;
    report();
  }

  finish_video(video.get());
  return result;
}

}  // namespace k3::anim
