#pragma once
// The progress line of `k3anim render` on stderr: frame i/N, step, it/s, ETA. On a terminal
// one line redrawn in place (about 10 times a second); to a file or pipe one plain line every
// few seconds, so a log holds readable lines instead of a stream of carriage returns.
#include "animation/render/render_loop.h"

#include <chrono>
#include <string>

namespace k3::cli {

class ProgressLine {
 public:
  ProgressLine(std::string label, bool quiet);
  // Updates the line (at most ~10 times a second, and always on a new frame). Returns true.
  bool update(const k3::anim::RenderProgress& progress);
  // Ends the line with a newline when one was drawn.
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_;
  bool quiet_;
  bool terminal_;                     // stderr is a terminal
  std::chrono::milliseconds interval_;  // between two lines
  bool started_ = false;
  bool drawn_ = false;
  Clock::time_point start_;
  Clock::time_point last_draw_;
  int last_frame_ = -1;
  long steps_done_ = 0;
  int last_step_ = 0;
};

}  // namespace k3::cli
