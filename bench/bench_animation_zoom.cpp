// Benchmark (not a test): a preview zoom-out render of examples/zoom-out.json (keyframes by the
// preview's mirrored ring, then every frame composed from the keyframe stack, PNG + journal per
// frame, and the video), and compose_zoom_frame alone, in milliseconds per frame.
// Usage: bench_animation_zoom [size=512] [keyframes=3].
#include "animation/render/frame_backend.h"
#include "animation/render/render_loop.h"
#include "animation/render/render_settings.h"
#include "animation/render/zoom_clip.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace k3::anim;

int main(int argc, char** argv) {
  int size = argc > 1 ? std::atoi(argv[1]) : 512;
  int keyframes = argc > 2 ? std::atoi(argv[2]) : 3;
  // CMake compiles this file by its absolute path: the examples sit beside bench/.
  std::string example = (fs::path(__FILE__).parent_path().parent_path() / "examples" / "zoom-out.json").string();
  fs::path scratch = fs::temp_directory_path() / ("k3-bench-zoom-" + std::to_string(getpid()));
  RenderSettings settings = load_render_settings(example);
  settings.width = settings.height = size;
  settings.zoom.keyframes = keyframes;
  settings.frames = keyframes * settings.zoom.frames_per_keyframe + 1;
  settings.output.video = (scratch / "zoom.mp4").string();
  auto backend = make_preview_backend();
  auto start = std::chrono::steady_clock::now();
  Render::start(settings, (scratch / "run").string(), example).run(*backend);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("zoom-out preview %dx%d, %d keyframes, %d frames: %.2f s, %.1f ms/frame (keyframes, PNGs, video included)\n",
              size, size, keyframes, settings.frames, seconds, 1000 * seconds / settings.frames);

  ZoomGeometry geometry = zoom_geometry(cv::Size(size, size), settings.zoom.factor);
  std::vector<cv::Mat> stack = {make_test_pattern(size, size)};
  for (int k = 1; k <= keyframes; ++k) stack.push_back(make_zoom_canvas(stack.back(), geometry).image);
  const int views = 48;
  start = std::chrono::steady_clock::now();
  for (int j = 0; j < views; ++j) compose_zoom_frame(stack, geometry, keyframes * static_cast<double>(j) / views, 16.0);
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("compose_zoom_frame %dx%d, %d keyframes: %.2f ms/frame\n", size, size, keyframes, 1000 * seconds / views);
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return 0;
}
