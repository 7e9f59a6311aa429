#pragma once
// The run-state journal: everything the render loop needs to continue after frame j exactly
// as an uninterrupted run would (spec deforum.md 1.16 and 6 #3: persist the state instead of
// reverse-engineering it from the written frames). Written atomically after every frame;
// every value the next frame depends on is here, or is a pure function of settings.json.
#include "animation/render/seed_sequence.h"

#include <opencv2/core.hpp>

#include <optional>
#include <string>

namespace k3::anim {

class RunFolder;

// One cadence buffer (Deforum's turbo_prev / turbo_next): a float image and the frame index
// up to which it has been warped.
struct CadenceBuffer {
  cv::Mat image;  // CV_32FC3 RGB [0,255]
  int index = -1;
};

struct RunState {
  int next_frame = 0;                 // first frame not yet written
  int total_frames = 0;
  SeedState seed;
  std::optional<CadenceBuffer> turbo_prev;
  std::optional<CadenceBuffer> turbo_next;
  cv::Mat color_reference;            // empty until captured
  // Optical-flow cadence: the flow the current segment's tweens follow (CV_32FC2), empty when
  // none (no flow cadence, or a segment without a previous diffused frame).
  cv::Mat cadence_flow;
  std::uint64_t last_seed = 0;        // seed of the last diffused frame (reported)
  // Zoom clips: keyframes made and kept in state/ (the seed above is then the keyframes' own
  // sequence, which the frames that follow do not use).
  int zoom_keyframes_done = 0;
};

// Writes the whole state (numbers and float buffers, bit for bit) as one file, atomically.
void save_run_state(const RunFolder& folder, const RunState& state);
// Reads the journal; std::nullopt when the run never finished a frame.
std::optional<RunState> load_run_state(const RunFolder& folder);
// The number of frames a run folder's journal records as done (its next_frame), reading only the
// journal's header; 0 when there is no readable journal (status displays, never resumes).
int journal_frames_done(const std::string& run_dir);

}  // namespace k3::anim
