#pragma once
// The render loop of a Deforum-style animation (spec deforum.md 3.1 and 3.11): frame 0 from
// the prompt or the init image, then every C-th frame diffused image-to-image from the warped
// previous one, the frames between tweened; each output frame written to the run folder with
// the run-state journal, so that --resume continues exactly.
#include "animation/render/frame_backend.h"
#include "animation/render/render_settings.h"

#include <functional>
#include <memory>
#include <string>

namespace k3::anim {

struct RenderProgress {
  int frame = 0;          // output frame being made (0-based)
  int total_frames = 0;
  int step = 0;           // denoising step within a diffused frame (0 when none)
  int total_steps = 0;
  bool diffused = false;  // whether this frame runs the backend
  int first_frame = 0;    // first frame of this invocation (after a resume: where it restarted)
  bool frame_written = false;  // `frame` and its journal are on disk: stopping now loses nothing
};

struct RenderCallbacks {
  // Informational lines (the run folder, the backend, the video); never printed by the library.
  std::function<void(const std::string&)> on_message;
  // After each step and frame; return false to stop (throws k3::Cancelled, the run resumable).
  std::function<bool(const RenderProgress&)> on_progress;
};

struct RenderResult {
  std::string run_dir;
  std::string video_path;  // "" when no video was written
  int frames = 0;
  int resumed_from = 0;    // first frame rendered by this call
};

// A render whose settings are checked and whose run folder exists. Construction validates
// every schedule, the init image and the output location before creating anything on disk.
// Every prompt text a new render of `settings` uses (zoom clips: up to their last keyframe).
std::vector<std::string> render_prompts(const RenderSettings& settings, const std::string& source);

class Render {
 public:
  // A new run in `run_dir` ("" = runs/<name>-<date-time>). `settings` must have no story left
  // (expand_story) and seed -1 is resolved here.
  static Render start(RenderSettings settings, const std::string& run_dir, const std::string& source);
  // Continues the run in `run_dir` from its settings.json and journal.
  static Render resume(const std::string& run_dir);

  ~Render();
  Render(Render&&) noexcept;
  Render& operator=(Render&&) noexcept;

  const RenderSettings& settings() const;
  const std::string& run_dir() const;
  int next_frame() const;  // where run() starts
  // The prompt texts the frames still to render use (for encoding a batch's prompts up front).
  std::vector<std::string> pending_prompts() const;

  // Renders the remaining frames with `backend`, then writes the video.
  RenderResult run(FrameBackend& backend, const RenderCallbacks& callbacks = {});

 private:
  struct Impl;
  explicit Render(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace k3::anim
