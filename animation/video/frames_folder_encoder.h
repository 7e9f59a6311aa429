#pragma once
// Builds a video from a folder of numbered frames (000000.png, 000001.png, ...) at any time: after
// a crash, a failed mux, or to re-encode with other settings (Deforum's "stitch existing frames",
// scripts/deforum_helpers/video_audio_utilities.py). Knows nothing of run folders.
#include "animation/video/video_writer.h"

#include <functional>
#include <string>
#include <vector>

namespace k3::video {

// The contiguous frames 000000.png, 000001.png, ... of a folder, in order. Throws
// k3::FileError when there are none, or when numbered frames exist after a gap.
std::vector<std::string> list_frame_files(const std::string& frames_dir);

// Called after each frame; returning false cancels (k3::Cancelled is thrown).
using EncodeProgress = std::function<bool(long done, long total)>;

// Encodes the frames of `frames_dir` with `options` (size taken from the first frame;
// options.frames_dir is ignored: the frames are already on disk). Returns the frame count read.
long encode_frames_folder(const std::string& frames_dir, VideoOptions options, const EncodeProgress& progress = {});

}  // namespace k3::video
