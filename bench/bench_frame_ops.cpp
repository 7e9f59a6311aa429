// Benchmark (not a test): milliseconds per 1024x1024 frame for each frame operation in
// animation/ops and for the per-frame chains of a 3D and a 2D Deforum clip
// (warp + LAB colour match + contrast + anti-blur + Perlin noise), fused (init_chain.h, what the
// renderer runs) and one operation after another.
// Usage: bench_frame_ops [repetitions=15] [size=1024] [filter]: only the lines whose name contains
// `filter` (e.g. CHAIN). Prints the median, the minimum and the process CPU time per run.
// K3_BENCH_DUMP=folder also writes one frame of each operation's output as raw floats.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>

#include "animation/ops/anti_blur.h"
#include "animation/ops/color_match.h"
#include "animation/ops/contrast.h"
#include "animation/ops/image_convert.h"
#include "animation/ops/init_chain.h"
#include "animation/ops/noise.h"
#include "animation/ops/optical_flow.h"
#include "animation/ops/perspective_flip.h"
#include "animation/ops/warp_2d.h"
#include "animation/ops/warp_3d.h"

using namespace k3::ops;

namespace {

struct Timing {
  double median_ms, min_ms, cpu_ms;
};

// Process CPU time (all threads): on a shared machine, wall time depends on the other load,
// CPU time much less so. On an idle machine, wall ~ CPU / cores for the parallel parts.
double cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

Timing time_it(int repetitions, const std::function<void(int)>& body) {
  body(0);  // warm-up: page faults, OpenCV's thread pool
  std::vector<double> ms;
  const double cpu_start = cpu_ms();
  for (int i = 1; i <= repetitions; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body(i);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  const double cpu = (cpu_ms() - cpu_start) / repetitions;
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front(), cpu};
}

std::string g_filter;  // only operations whose name contains it

void report(const std::string& name, const Timing& t) {
  std::printf("%-58s %9.2f %9.2f %9.2f\n", name.c_str(), t.median_ms, t.min_ms, t.cpu_ms);
  std::fflush(stdout);
}

bool wanted(const std::string& name) { return g_filter.empty() || name.find(g_filter) != std::string::npos; }

void run(const std::string& name, int repetitions, const std::function<void(int)>& body) {
  if (wanted(name)) report(name, time_it(repetitions, body));
}

cv::Mat test_frame(int size) {
  cv::Mat u8(size, size, CV_8UC3);
  cv::RNG rng(1);
  // Smooth content plus some texture, like a generated frame.
  for (int r = 0; r < size; ++r) {
    auto* p = u8.ptr<cv::Vec3b>(r);
    for (int c = 0; c < size; ++c) {
      const double x = static_cast<double>(c) / size, y = static_cast<double>(r) / size;
      p[c] = cv::Vec3b(cv::saturate_cast<uchar>(128 + 90 * std::sin(9 * x + 4 * y) + rng.uniform(-12, 12)),
                       cv::saturate_cast<uchar>(60 + 150 * y + rng.uniform(-12, 12)),
                       cv::saturate_cast<uchar>(128 + 100 * std::cos(7 * y - 5 * x * x) + rng.uniform(-12, 12)));
    }
  }
  return to_float_rgb(u8);
}

}  // namespace

int main(int argc, char** argv) {
  const int repetitions = argc > 1 ? std::max(1, std::atoi(argv[1])) : 15;
  const int size = argc > 2 ? std::max(16, std::atoi(argv[2])) : 1024;
  if (argc > 3) g_filter = argv[3];
  const cv::Mat frame = test_frame(size);
  const cv::Mat reference = test_frame(size) * 0.8;
  const cv::Mat u8 = to_u8_rgb(frame);
  cv::Mat depth(size, size, CV_32FC1);
  cv::randu(depth, 1.0, 2.0);

  std::printf("k3_frame ops, %dx%d CV_32FC3, %d repetitions, OpenCV threads %d\n", size, size, repetitions,
              cv::getNumThreads());
  std::printf("%-58s %9s %9s %9s\n", "operation", "median ms", "min ms", "CPU ms");

  const SamplingOptions bilinear{BorderMode::Replicate, Interpolation::Bilinear};
  const SamplingOptions bicubic{BorderMode::Replicate, Interpolation::Bicubic};
  const SamplingOptions lanczos{BorderMode::Replicate, Interpolation::Lanczos};
  Warp2D w2;
  w2.angle = 0.5;
  w2.zoom = 1.0025;
  w2.translation_x = 1.5;
  Warp3D w3;
  w3.translation_x = 2.0;
  w3.translation_z = 1.75;
  w3.rotation_y = 0.3;
  PerspectiveFlip flip;
  flip.phi = 5.0;
  flip.theta = 2.0;

  run("to_float_rgb (u8 -> f32)", repetitions, [&](int) { cv::Mat m = to_float_rgb(u8); });
  run("to_u8_rgb (f32 -> u8)", repetitions, [&](int) { cv::Mat m = to_u8_rgb(frame); });
  run("warp_2d bilinear", repetitions, [&](int) { cv::Mat m = warp_2d(frame, w2, bilinear); });
  run("warp_2d bicubic", repetitions, [&](int) { cv::Mat m = warp_2d(frame, w2, bicubic); });
  run("warp_2d lanczos", repetitions, [&](int) { cv::Mat m = warp_2d(frame, w2, lanczos); });
  Warp2D w2_flip = w2;
  w2_flip.perspective_flip = flip;
  run("warp_2d + perspective flip, bilinear", repetitions, [&](int) { cv::Mat m = warp_2d(frame, w2_flip, bilinear); });
  run("perspective_flip alone, bilinear", repetitions, [&](int) { cv::Mat m = perspective_flip(frame, flip, bilinear); });
  run("warp_3d flat, bilinear", repetitions, [&](int) { cv::Mat m = warp_3d(frame, cv::Mat(), w3, bilinear); });
  run("warp_3d flat, bicubic", repetitions, [&](int) { cv::Mat m = warp_3d(frame, cv::Mat(), w3, bicubic); });
  run("warp_3d depth map, bicubic", repetitions, [&](int) { cv::Mat m = warp_3d(frame, depth, w3, bicubic); });
  run("warp_3d_maps only (flat)", repetitions, [&](int) {
           cv::Mat mx, my;
           warp_3d_maps(frame.size(), cv::Mat(), w3, mx, my);
         });
  for (ColorDepth depth : {ColorDepth::EightBit, ColorDepth::Float}) {
    const std::string depth_name = depth == ColorDepth::EightBit ? "8-bit" : "float exact";
    for (ColorSpace space : {ColorSpace::RGB, ColorSpace::HSV, ColorSpace::LAB}) {
      const std::string name = "match_colors " + to_string(space) + " " + depth_name + " (template cached)";
      if (!wanted(name)) continue;
      const ColorTemplate tmpl = make_color_template(reference, space, depth);
      run(name, repetitions, [&](int) { cv::Mat m = match_colors(frame, tmpl); });
    }
    run("make_color_template LAB " + depth_name + " (on a reference change)", repetitions, [&](int) { ColorTemplate t = make_color_template(reference, ColorSpace::LAB, depth); });
  }
  if (wanted("match_colors LAB float binned 16384")) {
    const ColorTemplate tmpl = make_color_template(reference, ColorSpace::LAB, ColorDepth::Float);
    run("match_colors LAB float binned 16384", repetitions, [&](int) { cv::Mat m = match_colors(frame, tmpl, 1.0, HistogramMatchOptions{16384}); });
  }
  // Optical-flow cadence: once per segment the flow between two diffused frames (here a frame
  // and its 2D warp), then per tween a move of each buffer along it.
  const cv::Mat moved_frame = warp_2d(frame, w2, bilinear);
  run("flow_between DIS Medium (once per cadence segment)", repetitions, [&](int) { cv::Mat f = flow_between(frame, moved_frame, FlowMethod::DisMedium); });
  run("flow_between DIS Fine", repetitions, [&](int) { cv::Mat f = flow_between(frame, moved_frame, FlowMethod::DisFine); });
  run("flow_between Farneback", repetitions, [&](int) { cv::Mat f = flow_between(frame, moved_frame, FlowMethod::Farneback); });
  if (wanted("move_along_flow (per tween and buffer)")) {
    const cv::Mat flow = flow_between(frame, moved_frame, FlowMethod::DisMedium);
    run("move_along_flow (per tween and buffer)", repetitions, [&](int) { cv::Mat m = move_along_flow(frame, flow, 1.0); });
  }
  run("rgb_to_space LAB (float)", repetitions, [&](int) { cv::Mat m = rgb_to_space(frame, ColorSpace::LAB); });
  run("apply_contrast", repetitions, [&](int) { cv::Mat m = apply_contrast(frame, 1.02); });
  AntiBlur sharpen;
  sharpen.amount = 0.1;
  run("anti_blur (k5, sigma 1, amount 0.1)", repetitions, [&](int) { cv::Mat m = anti_blur(frame, sharpen); });
  sharpen.threshold = 2.0;
  run("anti_blur with threshold 2", repetitions, [&](int) { cv::Mat m = anti_blur(frame, sharpen); });
  sharpen.threshold = 0.0;
  NoiseOptions noise;
  noise.amount = 0.065;
  noise.type = NoiseType::Uniform;
  run("add_noise uniform", repetitions, [&](int i) {
           noise.seed = static_cast<std::uint64_t>(i);
           cv::Mat m = add_noise(frame, noise);
         });
  noise.type = NoiseType::Perlin;
  run("add_noise perlin (8x8 cells, 4 octaves)", repetitions, [&](int i) {
           noise.seed = static_cast<std::uint64_t>(i);
           cv::Mat m = add_noise(frame, noise);
         });

  const ColorTemplate lab = make_color_template(reference, ColorSpace::LAB);
  const ColorTemplate lab_float =
      wanted("CHAIN 3D(bilinear)+LAB float exact+..., one op after another") ? make_color_template(reference, ColorSpace::LAB, ColorDepth::Float) : ColorTemplate{};
  sharpen.amount = 0.1;
  const auto warp = [&](const SamplingOptions& sampling, bool three_d) {
    return three_d ? warp_3d(frame, cv::Mat(), w3, sampling) : warp_2d(frame, w2, sampling);
  };
  // The steps of the renderer's chain (animation/render/frame_ops.cpp), frame i's noise seed.
  const auto chain_steps = [&](const ColorTemplate* colors, bool sharpened, int i) {
    InitChain steps;
    steps.colors = colors;
    if (sharpened) steps.anti_blur = sharpen;
    steps.noise = noise;
    steps.noise.seed = static_cast<std::uint64_t>(i);
    return steps;
  };
  // What the renderer runs per diffused frame.
  const auto fused = [&](int i, const SamplingOptions& sampling, bool three_d) {
    cv::Mat m = prepare_init_frame(warp(sampling, three_d), chain_steps(&lab, true, i));
  };
  const auto separate = [&](int i, const SamplingOptions& sampling, bool three_d, const ColorTemplate& colors) {
    cv::Mat m = warp(sampling, three_d);
    m = match_colors(m, colors);
    m = apply_contrast(m, 1.0);
    m = anti_blur(m, sharpen);
    noise.seed = static_cast<std::uint64_t>(i);
    m = add_noise(m, noise);
  };
  // The parts of the fused chain (init_chain.cpp), on the unwarped frame.
  run("part: space_match_u8 LAB (round, convert, count)", repetitions,
      [&](int) { SpaceMatch8 m = space_match_u8(frame, lab); });
  run("part: matched_rows_u8 LAB (table, convert back)", repetitions, [&](int) {
    static const SpaceMatch8 match = space_match_u8(frame, lab);
    cv::Mat m;
    matched_rows_u8(match, 0, frame.rows, m);
  });
  run("part: prepare_init_frame, LAB 8-bit+anti-blur+perlin", repetitions,
      [&](int i) { cv::Mat m = prepare_init_frame(frame, chain_steps(&lab, true, i)); });
  run("part: prepare_init_frame, anti-blur+perlin (no colours)", repetitions,
      [&](int i) { cv::Mat m = prepare_init_frame(frame, chain_steps(nullptr, true, i)); });
  run("part: prepare_init_frame, perlin only", repetitions,
      [&](int i) { cv::Mat m = prepare_init_frame(frame, chain_steps(nullptr, false, i)); });
  run("CHAIN 3D(bilinear)+LAB 8-bit+contrast+anti-blur+perlin, fused", repetitions, [&](int i) { fused(i, bilinear, true); });
  run("CHAIN 3D(bicubic)+LAB 8-bit+..., fused", repetitions, [&](int i) { fused(i, bicubic, true); });
  run("CHAIN 2D(bilinear)+LAB 8-bit+contrast+anti-blur+perlin, fused", repetitions, [&](int i) { fused(i, bilinear, false); });
  run("CHAIN 3D(bilinear)+LAB 8-bit+..., one op after another", repetitions, [&](int i) { separate(i, bilinear, true, lab); });
  run("CHAIN 2D(bilinear)+LAB 8-bit+..., one op after another", repetitions, [&](int i) { separate(i, bilinear, false, lab); });
  run("CHAIN 3D(bilinear)+LAB float exact+..., one op after another", repetitions, [&](int i) { separate(i, bilinear, true, lab_float); });
  // K3_BENCH_DUMP=folder: the outputs of one frame (seed 1) as raw float files, to compare two
  // builds value by value (README.md, "Frame operations: speed").
  if (const char* folder = std::getenv("K3_BENCH_DUMP")) {
    const auto dump = [&](const std::string& name, const cv::Mat& m) {
      const std::string path = std::string(folder) + "/" + name + ".f32";
      if (FILE* f = std::fopen(path.c_str(), "wb")) {
        const cv::Mat c = m.isContinuous() ? m : m.clone();
        std::fwrite(c.data, c.elemSize(), c.total(), f);
        std::fclose(f);
      }
    };
    noise.seed = 1;
    dump("warp_3d_flat_bilinear", warp_3d(frame, cv::Mat(), w3, bilinear));
    dump("warp_3d_depth_bicubic", warp_3d(frame, depth, w3, bicubic));
    dump("warp_2d_bilinear", warp_2d(frame, w2, bilinear));
    dump("match_colors_lab_8bit", match_colors(frame, lab));
    dump("anti_blur", anti_blur(frame, sharpen));
    dump("add_noise_perlin", add_noise(frame, noise));
    for (bool three_d : {true, false})
      dump(three_d ? "chain_3d_fused" : "chain_2d_fused", prepare_init_frame(warp(bilinear, three_d), chain_steps(&lab, true, 1)));
  }
  return 0;
}
