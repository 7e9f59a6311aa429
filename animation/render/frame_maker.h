#pragma once
// What differs between animation modes: how frame j is made. The render (render_loop.cpp) is the
// one scaffold around every mode: it reports progress, honours cancellation, writes each frame's
// PNG, streams it into the video and journals the run state after every frame. A mode is one
// FrameMaker: the Deforum loop (2D, 3D, None, Interpolation: deforum_frames.h) or the outpainted
// zoom clip (zoom_frames.h).
#include "animation/render/frame_backend.h"
#include "animation/render/render_loop.h"
#include "animation/render/run_state.h"

#include <opencv2/core.hpp>

#include <functional>

namespace k3::anim {

class RunFolder;

// The scaffold's side of one render, as a mode sees it.
struct FrameContext {
  RunState& state;            // the journal; the scaffold saves it after every frame
  const RunFolder& folder;
  FrameBackend& backend;
  RenderProgress& progress;   // the mode sets diffused / step; the scaffold the frame
  // Reports progress; throws k3::Cancelled (the run resumable) when the callback says stop.
  std::function<void()> report;
  // For a backend's denoising steps: records the step and asks the callback whether to go on.
  StepProgress on_step;
};

class FrameMaker {
 public:
  virtual ~FrameMaker() = default;
  // Work before the first frame still to make (prompt encoding; a zoom clip's keyframes, which
  // it journals itself).
  virtual void prepare(FrameContext& context) = 0;
  // Frame `j` (CV_32FC3 RGB, 0..255), updating the journal's state for the frames after it.
  virtual cv::Mat make(int j, FrameContext& context) = 0;
  // The finished frame `j` is on disk: state that follows from the output (colour reference).
  virtual void written(int /*j*/, const cv::Mat& /*frame*/, FrameContext& /*context*/) {}
  // Warnings of the mode's own components (a depth model's config), said before the first frame.
  virtual std::vector<std::string> warnings() const { return {}; }
};

}  // namespace k3::anim
