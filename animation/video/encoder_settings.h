#pragma once
// The encoder knobs every layer validates against, listed once: the x264-style speed presets
// (mapped to libvpx speeds for vp9) and the constant-quality range per codec.
#include <string>
#include <vector>

namespace k3::video {

inline const std::vector<std::string>& encoder_presets() {
  static const std::vector<std::string> presets = {"ultrafast", "superfast", "veryfast", "faster", "fast",
                                                   "medium",    "slow",      "slower",   "veryslow", "placebo"};
  return presets;
}

// The largest CRF a codec takes: 51 for H.264/H.265 (x264, x265), 63 for VP9; 0 for gif and png,
// which have no quality knob (their crf is ignored).
inline int max_crf(const std::string& codec) {
  if (codec == "vp9") return 63;
  if (codec == "h264" || codec == "h265") return 51;
  return 0;
}
inline constexpr int kMaxCrfAnyCodec = 63;

}  // namespace k3::video
