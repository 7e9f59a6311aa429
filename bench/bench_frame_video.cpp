// H.264 encoding speed at 1024x1024: our libav VideoWriter against piping the same RGB frames
// into the `ffmpeg` command (Deforum's way, scripts/deforum_helpers/video_audio_utilities.py),
// same CRF, preset, pixel format and colour matrix. Not a test: prints frames per second.
// Usage: bench_frame_video [frames=48] [preset=medium] [crf=17] [size=1024] [rounds=2]
#include "animation/video/video_writer.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {
using Clock = std::chrono::steady_clock;

std::vector<cv::Mat> make_frames(int count, int size) {
  std::vector<cv::Mat> frames;
  for (int i = 0; i < count; ++i) {
    cv::Mat frame(size, size, CV_8UC3);
    for (int y = 0; y < size; ++y) {
      auto* p = frame.ptr<cv::Vec3b>(y);
      for (int x = 0; x < size; ++x) {
        const double u = static_cast<double>(x) / size, v = static_cast<double>(y) / size;
        const double wave = std::sin(12.566 * (u + v) + 0.3 * i) + 0.5 * std::sin(40.0 * u * v - 0.2 * i);
        p[x] = cv::Vec3b(cv::saturate_cast<uchar>(40 + 170 * u + 25 * wave), cv::saturate_cast<uchar>(60 + 140 * v - 25 * wave),
                         cv::saturate_cast<uchar>(128 + 60 * wave));
      }
    }
    frames.push_back(frame);
  }
  return frames;
}

double run_writer(const std::vector<cv::Mat>& frames, const std::string& path, const std::string& preset, int crf) {
  const auto start = Clock::now();
  k3::video::VideoOptions options;
  options.path = path;
  options.preset = preset;
  options.crf = crf;
  auto writer = k3::video::open_video_writer(options);
  for (const cv::Mat& frame : frames) writer->write(frame);
  writer->finish();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double run_ffmpeg_pipe(const std::vector<cv::Mat>& frames, const std::string& path, const std::string& preset, int crf) {
  const int size = frames.front().cols;
  const std::string command = "ffmpeg -v error -y -f rawvideo -pix_fmt rgb24 -s " + std::to_string(size) + "x" +
                              std::to_string(size) + " -r 12 -i - -vf scale=out_color_matrix=bt709:out_range=tv " +
                              "-c:v libx264 -crf " + std::to_string(crf) + " -preset " + preset +
                              " -pix_fmt yuv420p -colorspace bt709 -color_primaries bt709 -color_trc bt709 -color_range tv "
                              "-movflags +faststart '" + path + "'";
  const auto start = Clock::now();
  FILE* pipe = popen(command.c_str(), "w");
  if (!pipe) return -1;
  for (const cv::Mat& frame : frames)
    if (fwrite(frame.data, 1, frame.total() * 3, pipe) != frame.total() * 3) break;
  const int status = pclose(pipe);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return status == 0 ? seconds : -1;
}
}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 48;
  const std::string preset = argc > 2 ? argv[2] : "medium";
  const int crf = argc > 3 ? std::atoi(argv[3]) : 17;
  const int size = argc > 4 ? std::atoi(argv[4]) : 1024;
  const int rounds = argc > 5 ? std::atoi(argv[5]) : 2;
  const auto folder = std::filesystem::temp_directory_path() / ("k3-bench-video-" + std::to_string(getpid()));
  std::filesystem::create_directories(folder);
  std::cout << "H.264 " << size << "x" << size << ", " << count << " frames, CRF " << crf << ", preset " << preset << "\n";
  const auto frames = make_frames(count, size);

  // Alternate the two so both see the same machine load; keep each one's best round.
  double best_ours = 1e30, best_ffmpeg = 1e30;
  for (int round = 0; round < rounds; ++round) {
    const double ours = run_writer(frames, (folder / "ours.mp4").string(), preset, crf);
    const double piped = run_ffmpeg_pipe(frames, (folder / "ffmpeg.mp4").string(), preset, crf);
    std::printf("round %d: k3 VideoWriter %.2f s (%.2f fps), ffmpeg pipe %.2f s (%.2f fps)\n", round + 1, ours, count / ours, piped,
                piped > 0 ? count / piped : 0.0);
    best_ours = std::min(best_ours, ours);
    if (piped > 0) best_ffmpeg = std::min(best_ffmpeg, piped);
  }
  std::printf("best: k3 VideoWriter %.2f fps, ffmpeg pipe %.2f fps, ratio %.2fx\n", count / best_ours, count / best_ffmpeg,
              best_ffmpeg / best_ours);
  std::printf("sizes: ours %ju bytes, ffmpeg %ju bytes\n", static_cast<std::uintmax_t>(std::filesystem::file_size(folder / "ours.mp4")),
              static_cast<std::uintmax_t>(std::filesystem::file_size(folder / "ffmpeg.mp4")));
  std::filesystem::remove_all(folder);
  return 0;
}
