// Follows the v8hid infinite-zoom extension's iz_helpers/run.py (spec deforum.md 5.1): keyframe
// 0 by text-to-image, each next keyframe by outpainting the ring around the shrunk previous one
// with the prompt of its index, frames between by a geometric zoom, zoom-in as the reverse.
#include "animation/render/zoom_render.h"

#include "animation/render/first_frame.h"

#include "animation/ops/image_convert.h"
#include "animation/render/frame_ops.h"
#include "animation/render/run_folder.h"
#include "animation/render/run_state.h"
#include "animation/render/seed_sequence.h"
#include "animation/render/zoom_clip.h"
#include "base/errors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>

namespace k3::anim {

using nlohmann::json;

namespace {

constexpr int kZoomJournalVersion = 1;

std::string keyframe_path(const RunFolder& folder, int k) {
  return folder.state_dir() + "/zoom-keyframe-" + std::to_string(k) + ".k3mat";
}
std::string zoom_journal_path(const RunFolder& folder) { return folder.state_dir() + "/zoom.json"; }

// Deforum's outputs are 8-bit; keyframes are kept so too, whichever backend made them.

struct ZoomProgress {
  int keyframes_done = 0;
  SeedState seed;
};

ZoomProgress load_zoom_progress(const RunFolder& folder) {
  std::ifstream in(zoom_journal_path(folder));
  if (!in) return {};
  try {
    json journal = json::parse(in);
    if (journal.at("version").get<int>() != kZoomJournalVersion)
      throw FileError(zoom_journal_path(folder) + ": expected zoom journal version " + std::to_string(kZoomJournalVersion) +
                      ", got " + journal.at("version").dump());
    ZoomProgress p;
    p.keyframes_done = journal.at("keyframes_done").get<int>();
    const json& seed = journal.at("seed");
    p.seed.seed = seed.at("seed").get<std::int64_t>();
    p.seed.diffused = seed.at("diffused").get<std::int64_t>();
    p.seed.rng_state = seed.at("rng_state").get<std::uint64_t>();
    return p;
  } catch (const json::exception& e) {
    throw FileError(zoom_journal_path(folder) + ": expected a k3anim zoom journal, got: " + e.what());
  }
}

void save_zoom_progress(const RunFolder& folder, const ZoomProgress& p) {
  json journal = {{"version", kZoomJournalVersion},
                  {"keyframes_done", p.keyframes_done},
                  {"seed", {{"seed", p.seed.seed}, {"diffused", p.seed.diffused}, {"rng_state", p.seed.rng_state}}}};
  write_file_atomically(zoom_journal_path(folder), journal.dump(2) + "\n");
}


}  // namespace

void check_zoom_settings(const RenderSettings& s) {
  const int frames = s.zoom.keyframes * s.zoom.frames_per_keyframe + 1;
  if (s.frames > frames)
    throw ConfigError("frames: expected at most zoom.keyframes x zoom.frames_per_keyframe + 1 = " + std::to_string(frames) +
                      " in zoom mode (change those keys instead), got " + std::to_string(s.frames));
  ZoomGeometry g = zoom_geometry(cv::Size(s.width, s.height), s.zoom.factor);
  int limit = std::min(g.inner.width, g.inner.height) / 2;
  if (s.zoom.mask_blur > limit)
    throw ConfigError("zoom.mask_blur: expected at most half the shrunk keyframe (" + std::to_string(limit) + " pixels at " +
                      std::to_string(s.width) + "x" + std::to_string(s.height) + ", factor " + std::to_string(s.zoom.factor) +
                      "), got " + std::to_string(s.zoom.mask_blur));
}

RenderSettings zoom_schedule_settings(const RenderSettings& settings) {
  RenderSettings out = settings;
  if (settings.animation_mode == "zoom") out.frames = std::max(settings.frames, settings.zoom.keyframes + 1);
  return out;
}

void render_zoom_frames(const ZoomRenderInputs& in, RunState& state, FrameBackend& backend, const RenderCallbacks& callbacks) {
  const RenderSettings& s = in.settings;
  const ZoomSettings& z = s.zoom;
  const int total = s.frames;
  const ZoomGeometry geometry = zoom_geometry(cv::Size(s.width, s.height), z.factor);
  const bool zoom_in = z.direction == "in";

  RenderProgress progress;
  progress.total_frames = total;
  progress.first_frame = state.next_frame;
  auto keep_going = [&]() { return !callbacks.on_progress || callbacks.on_progress(progress); };
  auto stop = [&]() {
    throw Cancelled("render stopped at frame " + std::to_string(progress.frame) + "; continue with --resume " + in.folder.dir());
  };

  // A clip cut short (frames < keyframes x frames_per_keyframe + 1) zooming out needs only the
  // keyframes its last frame reaches; zooming in starts from the widest one.
  const int last_keyframe =
      zoom_in ? z.keyframes : std::min(z.keyframes, (total - 1 + z.frames_per_keyframe - 1) / z.frames_per_keyframe);
  if (static_cast<int>(in.params.size()) <= last_keyframe)
    throw ConfigError("zoom: expected schedules for " + std::to_string(last_keyframe + 1) + " keyframes, got " +
                      std::to_string(in.params.size()) + " (evaluate them with zoom_schedule_settings)");

  // Keyframes: made once, kept in state/ so that a resumed run reuses them.
  ZoomProgress made = load_zoom_progress(in.folder);
  std::vector<cv::Mat> keyframes;
  for (int k = 0; k < made.keyframes_done; ++k) keyframes.push_back(read_mat(keyframe_path(in.folder, k)));

  if (made.keyframes_done <= last_keyframe)
    backend.prepare(prompt_texts(in.params, made.keyframes_done, last_keyframe + 1), in.folder.dir());

  SeedSequence seeds(parse_seed_behavior(s.seed.behavior), s.seed.seed, s.seed.iter_n,
                     [&](int k) { return in.params[static_cast<std::size_t>(k)].seed_schedule; });
  if (made.keyframes_done > 0) seeds.restore(made.seed);
  FrameOperations colour(s);
  if (!in.color_image.empty()) colour.set_color_reference(in.color_image);
  else if (!keyframes.empty() && colour.uses_color_reference()) colour.set_color_reference(keyframes[0]);

  for (int k = made.keyframes_done; k <= last_keyframe; ++k) {
    // Where keyframe k first appears in the clip (for progress and messages).
    progress.frame = zoom_in ? (z.keyframes - k) * z.frames_per_keyframe : k * z.frames_per_keyframe;
    progress.diffused = true;
    progress.step = progress.total_steps = 0;
    // Keys count keyframes in zoom mode: keyframe k takes the schedules at index k.
    DiffusionRequest request = diffusion_request(s, in.params[static_cast<std::size_t>(k)], progress.frame, seeds.take(k));
    state.last_seed = request.seed;
    StepProgress on_step = [&](int step, int total_steps) {
      progress.step = step;
      progress.total_steps = total_steps;
      return keep_going();
    };
    cv::Mat keyframe;
    if (k == 0) {
      keyframe = render_first_frame(backend, colour, in.init_image, s, request, on_step);
    } else {
      request.denoise = z.denoise;
      ZoomCanvas canvas = make_zoom_canvas(keyframes.back(), geometry);
      cv::Mat painted = colour.match_output(backend.outpaint(canvas.image, canvas.mask, request, on_step));
      keyframe = quantize_to_8bit(join_at_seam(painted, canvas.image, seam_weight(geometry.size, geometry.inner, z.mask_blur)));
    }
    write_mat_atomically(keyframe_path(in.folder, k), keyframe);
    keyframes.push_back(keyframe);
    made.keyframes_done = k + 1;
    made.seed = seeds.state();
    save_zoom_progress(in.folder, made);
    if (!keep_going()) stop();
  }

  // Frames: a constant-rate view of the keyframe stack; the band where an inner keyframe
  // meets its ring is feathered over the seam blur, in the inner keyframe's pixels.
  const double feather = std::max(2.0, z.mask_blur * std::max(geometry.factor_x, geometry.factor_y));
  for (int j = state.next_frame; j < total; ++j) {
    progress.frame = j;
    progress.diffused = false;
    progress.step = progress.total_steps = 0;
    progress.frame_written = false;
    double position = zoom_position(j, z.frames_per_keyframe, z.keyframes, zoom_in);
    cv::Mat frame = compose_zoom_frame(keyframes, geometry, position, feather);
    in.folder.write_frame(j, ops::to_u8_rgb(frame));
    state.next_frame = j + 1;
    save_run_state(in.folder, state);
    progress.frame_written = true;
    if (!keep_going()) stop();
  }
}

}  // namespace k3::anim
