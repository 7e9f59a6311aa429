// Write-then-rename, as Deforum's audio pass does with its temp file (video_audio_utilities.py).
#include "animation/video/partial_file.h"

#include "base/atomic_file.h"
#include "base/errors.h"
#include "base/fault_point.h"

#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace k3::video {

PartialFile::PartialFile(std::string final_path) : final_path_(std::move(final_path)) {
  const fs::path target(final_path_);
  if (target.filename().empty()) throw k3::ConfigError("video path " + final_path_ + ": expected a file name, got a folder");
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(folder))
    throw k3::FileError("video path " + final_path_ + ": folder " + folder.string() + " does not exist");
  partial_path_ = (folder / ("." + target.filename().string() + ".partial")).string();
}

PartialFile::~PartialFile() {
  if (committed_) return;
  std::error_code ignored;
  fs::remove(partial_path_, ignored);
}

void PartialFile::commit() {
  fault_point("video.commit");
  replace_with(partial_path_, final_path_);
  committed_ = true;
}

}  // namespace k3::video
