// Benchmark (not a test): a whole preview render (the render loop without a model: warps,
// colour match, contrast, anti-blur, noise, PNG + journal per frame) of the 2D zoom-in and the
// 3D winter-forest examples, in output frames per second and milliseconds per frame.
// Usage: bench_animation_preview [size=512] [frames=48].
#include "animation/render/frame_backend.h"
#include "animation/render/render_loop.h"
#include "animation/render/render_settings.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace k3::anim;

int main(int argc, char** argv) {
  int size = argc > 1 ? std::atoi(argv[1]) : 512;
  int frames = argc > 2 ? std::atoi(argv[2]) : 48;
  // CMake compiles this file by its absolute path: the examples sit beside bench/.
  std::string examples = (fs::path(__FILE__).parent_path().parent_path() / "examples").string() + "/";
  fs::path scratch = fs::temp_directory_path() / ("k3-bench-preview-" + std::to_string(getpid()));
  for (const char* name : {"zoom-in.json", "winter-forest.json"}) {
    RenderSettings settings = load_render_settings(examples + name);
    settings.width = settings.height = size;
    settings.frames = frames;
    settings.output.write_video = true;
    fs::path run_dir = scratch / name;
    settings.output.video = (run_dir.string() + ".mp4");
    auto backend = make_preview_backend();
    auto start = std::chrono::steady_clock::now();
    Render render = Render::start(settings, run_dir.string(), name);
    render.run(*backend);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-20s %dx%d %d frames (cadence %d, %s): %.2f s, %.1f frames/s, %.1f ms/frame (video included)\n", name, size,
                size, frames, settings.generation.cadence, animation_mode_name(settings.animation_mode), seconds, frames / seconds,
                1000 * seconds / frames);
  }
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return 0;
}
