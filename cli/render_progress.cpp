#include "cli/render_progress.h"

#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace k3::cli {

namespace {
std::string clock_text(double seconds) {
  if (seconds < 0 || seconds > 360000) return "--:--";
  int s = static_cast<int>(seconds + 0.5);
  char text[32];
  if (s >= 3600) std::snprintf(text, sizeof text, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(text, sizeof text, "%02d:%02d", s / 60, s % 60);
  return text;
}
}  // namespace

ProgressLine::ProgressLine(std::string label, bool quiet)
    : label_(std::move(label)),
      quiet_(quiet),
      terminal_(isatty(fileno(stderr)) != 0),
      interval_(terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000)) {}

bool ProgressLine::update(const k3::anim::RenderProgress& p) {
  if (quiet_) return true;
  auto now = Clock::now();
  if (!started_) started_ = true, start_ = now, last_draw_ = now - interval_;
  if (p.step > last_step_) steps_done_ += p.step - last_step_;
  last_step_ = p.step;
  bool new_frame = p.frame != last_frame_;
  if (new_frame) last_step_ = 0;
  last_frame_ = p.frame;
  if ((!new_frame || !terminal_) && now - last_draw_ < interval_) return true;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  int done = p.frame - p.first_frame + (p.step == 0 ? 1 : 0);
  int remaining = p.total_frames - p.first_frame - done;
  double rate = elapsed > 0 ? (steps_done_ > 0 ? steps_done_ / elapsed : done / elapsed) : 0;
  double eta = done > 0 ? elapsed / done * remaining : -1;
  char line[256];
  if (p.total_steps > 0)
    std::snprintf(line, sizeof line, "%s frame %d/%d step %d/%d %.2f it/s ETA %s", label_.c_str(), p.frame + 1,
                  p.total_frames, p.step, p.total_steps, rate, clock_text(eta).c_str());
  else
    std::snprintf(line, sizeof line, "%s frame %d/%d %.1f frames/s ETA %s", label_.c_str(), p.frame + 1, p.total_frames,
                  rate, clock_text(eta).c_str());
  if (terminal_) {
    std::cerr << "\r" << line << "   " << std::flush;
    drawn_ = true;
  } else {
    std::cerr << line << "\n" << std::flush;
  }
  return true;
}

void ProgressLine::finish() {
  if (drawn_) std::cerr << "\n";
  drawn_ = false;
}

}  // namespace k3::cli
