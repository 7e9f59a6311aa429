#pragma once
// The settings of one render: what a preset JSON file (schema version 1, presets/README.md)
// turns into once validated and filled with defaults. Schedules stay as keyframe strings here;
// frame_params.h evaluates them per frame.
#include "animation/render/seed_sequence.h"
#include "schedules/keyframe_schedule.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace k3::anim {

constexpr int kPresetSchemaVersion = 1;

// How frames move: Deforum's 2D and 3D warps, None (no motion), Interpolation (every frame from
// its blended prompts alone), or an outpainted zoom clip. Strings only in files.
enum class AnimationMode { TwoD, ThreeD, None, Interpolation, Zoom };
// The spelling of presets: "2D", "3D", "None", "Interpolation", "zoom".
const char* animation_mode_name(AnimationMode mode);

// The other settings of a fixed set of spellings, enums after validation as well.
enum class DepthSource { None, Images, Midas3, DepthAnythingV2 };  // none, images, midas-3, depth-anything-v2
enum class ColorCoherence { None, RGB, HSV, LAB, Image };          // None, RGB, HSV, LAB, Image
enum class ColorReference { FirstFrame, Previous, Image };         // first_frame, previous, image
enum class ZoomDirection { Out, In };                              // out, in
enum class StoryMotionMode { TwoD, ThreeD };                       // 2D, 3D
enum class StoryTransition { Linear, Step };                       // linear, step
enum class OpticalFlowCadence { None, DisMedium, DisFine, Farneback };  // None, DIS Medium, DIS Fine, Farneback

// The spellings of an enum setting in presets, settings.json and messages, in the enum's order
// (defined for each enum above, AnimationMode, SeedBehavior and the keyframe interpolation, whose
// presets offer linear, step and cubic of sched::Interpolation).
template <typename Enum>
const std::vector<std::string>& setting_names();
template <typename Enum>
const std::string& setting_name(Enum value) {
  return setting_names<Enum>().at(static_cast<std::size_t>(value));
}
template <> const std::vector<std::string>& setting_names<AnimationMode>();
template <> const std::vector<std::string>& setting_names<SeedBehavior>();
template <> const std::vector<std::string>& setting_names<DepthSource>();
template <> const std::vector<std::string>& setting_names<ColorCoherence>();
template <> const std::vector<std::string>& setting_names<ColorReference>();
template <> const std::vector<std::string>& setting_names<ZoomDirection>();
template <> const std::vector<std::string>& setting_names<StoryMotionMode>();
template <> const std::vector<std::string>& setting_names<StoryTransition>();
template <> const std::vector<std::string>& setting_names<OpticalFlowCadence>();
template <> const std::vector<std::string>& setting_names<sched::Interpolation>();

struct MotionSettings {
  std::string angle = "0:(0)";               // degrees per frame, counter-clockwise (2D)
  std::string zoom = "0:(1.0)";              // scale factor per frame, > 1 zooms in (2D)
  std::string translation_x = "0:(0)";       // 2D: pixels per frame; 3D: 1/200 world units per frame
  std::string translation_y = "0:(0)";
  std::string translation_z = "0:(0)";       // 3D only
  std::string transform_center_x = "0:(0.5)";  // pivot, fraction of the width (2D)
  std::string transform_center_y = "0:(0.5)";
  std::string rotation_3d_x = "0:(0)";       // degrees per frame (3D)
  std::string rotation_3d_y = "0:(0)";
  std::string rotation_3d_z = "0:(0)";
  bool enable_perspective_flip = false;
  // Deforum compatibility (2D): its np.matmul(bM, R, T) passes T as numpy's output buffer, so
  // translation_x/y do nothing while the flip is on. True reproduces that; false applies them.
  bool flip_drops_translation = false;
  std::string perspective_flip_theta = "0:(0)";  // degrees
  std::string perspective_flip_phi = "0:(0)";
  std::string perspective_flip_gamma = "0:(0)";
  std::string perspective_flip_fv = "0:(53)";
  std::string fov = "0:(70)";                // degrees (3D)
  std::string near = "0:(200)";              // kept for Deforum compatibility (3D)
  std::string far = "0:(10000)";
  std::string border = "replicate";          // 2D warp and flip border: replicate, wrap
  std::string padding_mode = "border";       // 3D: border, reflection, zeros
  std::string sampling_mode = "bicubic";     // bicubic, bilinear, nearest
  bool use_depth_warping = false;            // Deforum's switch: true exactly when depth_source is not "none"
  DepthSource depth_source = DepthSource::None;  // 3D depth: flat, depth images, or a depth model
  std::string depth_path;                    // images: folder or printf pattern; models: model folder
  bool save_depth_maps = false;              // write <run>/depth/NNNNNN.png (raw depth, running min/max)
};

struct AntiBlurSettings {
  std::string kernel = "0:(5)";     // odd pixels
  std::string sigma = "0:(1.0)";
  std::string amount = "0:(0.1)";   // 0 = off
  std::string threshold = "0:(0)";  // 0..255
};

struct GenerationSettings {
  std::string denoise = "0:(0.35)";  // fraction of the cosine schedule re-run per frame (0..1)
  std::string guidance = "0:(3.0)";  // classifier-free guidance scale
  std::string steps = "0:(25)";      // nominal steps; img2img runs about denoise*steps
  int first_frame_steps = 0;         // text-to-image steps of frame 0; 0 = the steps schedule at frame 0
  std::string noise = "0:(0.02)";    // pixel noise blend weight (0..1)
  std::string noise_type = "perlin";  // uniform, perlin
  int perlin_octaves = 4;
  double perlin_persistence = 0.5;
  std::string contrast = "0:(1.0)";  // gain on pixel values
  AntiBlurSettings anti_blur;
  ColorCoherence color_coherence = ColorCoherence::LAB;
  std::string color_coherence_image;    // reference image file for "Image" and color_reference "image"
  // What colour coherence matches against: "first_frame" (Deforum's default), "previous" (a
  // rolling reference: every color_reference_every-th output frame replaces it), "image"
  // (color_coherence_image). color_strength blends the matched frame with the unmatched one.
  ColorReference color_reference = ColorReference::FirstFrame;
  int color_reference_every = 1;
  double color_strength = 1.0;
  // Deforum's legacy_colormatch: only the warped frame is colour-matched before it is noised, not
  // the generated frame after diffusion (Deforum's older behaviour, and its Colab notebook's).
  bool legacy_colormatch = false;
  // Deforum's color_force_grayscale: every frame grey (2D, 3D and None modes).
  bool color_force_grayscale = false;
  int cadence = 1;                      // diffuse every C-th frame, tween the rest
  // Deforum's optical-flow cadence: the tweens also follow the flow between the two diffused
  // frames they blend, scaled per frame by cadence_flow_factor.
  OpticalFlowCadence optical_flow_cadence = OpticalFlowCadence::None;
  std::string cadence_flow_factor = "0:(1)";
  double init_denoise = 0.65;           // frame 0 from an init image: fraction re-run (1 = ignore init)
};

struct SeedSettings {
  std::int64_t seed = -1;            // -1 = random, drawn once and written to settings.json
  SeedBehavior behavior = SeedBehavior::Iter;
  int iter_n = 1;                     // iter: +1 every N diffused frames
  std::string schedule = "0:(s)";    // schedule: per-frame seed, s = start seed, -1 = random
};

struct ModelSettings {
  std::string dir;             // diffusers folder of Kandinsky 3; "" = preview backend
  std::string device = "cpu";
  std::string dtype = "auto";  // auto = fp32 on the CPU, fp16 on CUDA (the memory plan's defaults)
  std::string variant;
  std::string sampler = "ddpm";
  std::string offload = "auto";  // CUDA: auto, none, model, sequential (src/public/generator.h)
};

struct OutputSettings {
  std::string video;       // video file; "" = <run dir>/video.mp4
  int crf = 17;            // x264 quality
  std::string x264_preset = "medium";
  bool write_video = true;
  std::string soundtrack;   // audio file muxed into the video, cut to its length; "" = none
  double soundtrack_offset = 0;  // seconds: > 0 delays the sound, < 0 skips its start
  int interpolate = 1;      // > 1: optical-flow frames raise the video's rate by this factor
};

// Zoom clips (animation_mode "zoom", spec deforum.md 5): keyframe 0 from the prompt or the
// init image, then each keyframe is the previous one shrunk by `factor` with its ring
// outpainted; the clip zooms at a constant rate through them (keyframes x frames_per_keyframe
// + 1 frames). Prompt and generation schedule keys count keyframes in this mode.
struct ZoomSettings {
  double factor = 2.0;            // scale between consecutive keyframes (> 1)
  int keyframes = 3;              // outpainted keyframes after keyframe 0
  int frames_per_keyframe = 24;   // output frames from one keyframe to the next
  ZoomDirection direction = ZoomDirection::Out;  // out: from keyframe 0 outwards; in: the reverse
  int mask_blur = 8;              // pixels of the kept picture blended into the painted ring
  double denoise = 1.0;           // fraction re-run when outpainting (1 = from noise)
};

// Story mode (deforum-kandinsky's API): segments stitched into one clip.
struct StorySegment {
  std::string prompt;
  std::string negative;
  std::string init_image;     // the segment's first frame from this image (frame 0: init_image)
  double duration = 2.0;      // seconds
  std::string motion = "live";  // a motion preset name (presets/)
  double acceleration = 1.0;  // scales the preset's motion
};

// How a motion preset moves the camera when a story segment names it (deforum-kandinsky
// helpers/script.py Script._animation_params_dict): per-frame values of additive motion
// fields at acceleration 1 (numbers, or expressions of t and `a` = the acceleration).
struct StoryMotion {
  StoryMotionMode mode = StoryMotionMode::ThreeD;  // a story is 2D only when all its motions are
  StoryTransition transition = StoryTransition::Linear;  // linear: full value ramping to 0; step: on, hold, off
  nlohmann::json fields = nlohmann::json::object();
};

struct RenderSettings {
  int version = kPresetSchemaVersion;
  std::string name = "render";
  std::string description;
  int width = 512;   // pixels, multiple of 8
  int height = 512;
  double fps = 12;
  int frames = 48;       // frame count (or "duration" in seconds in the file)
  AnimationMode animation_mode = AnimationMode::TwoD;
  sched::Interpolation interpolation = sched::Interpolation::Linear;  // keyframe interpolation of every schedule
  nlohmann::json prompts = nlohmann::json::object({{"0", "a beautiful landscape, highly detailed"}});
  std::string negative_prompt;   // appended to every frame's negative prompt (Deforum's animation_prompts_negative)
  int prompt_blend_frames = 0;   // cross-fade length between prompts, in frames (0 = hard switch)
  std::string prompt_blend_schedule;  // "" = linear; else the next prompt's weight per frame (0..1) within a blend
  std::string init_image;        // frame 0 from this image instead of text-to-image
  // Later frames started afresh from an image (a story segment's init_image): frame -> file.
  // The frame is diffused from the image at init_denoise, as frame 0 is, instead of from the
  // warped previous frame; the cadence does not blend across it.
  std::map<int, std::string> keyframe_images;
  MotionSettings motion;
  GenerationSettings generation;
  SeedSettings seed;
  ModelSettings model;
  OutputSettings output;
  ZoomSettings zoom;                // used by animation_mode "zoom"
  std::vector<StorySegment> story;  // non-empty: prompts and motion come from the story
  StoryMotion story_motion;         // used when a story names this preset as its motion
};

// The motion fields a story motion may set (additive, neutral value 0).
const std::vector<std::string>& story_motion_field_names();

// Parses a preset. Every problem (wrong type, unknown key, out-of-range value) is collected and
// thrown at once as k3::ConfigError with JSON paths; `source` names the file in the message.
// Relative image paths are resolved against `base_dir` when it is non-empty.
RenderSettings parse_render_settings(const nlohmann::json& preset, const std::string& source,
                                     const std::string& base_dir = "");
RenderSettings load_render_settings(const std::string& path);

// The effective settings as a complete preset (every key), as written to settings.json.
nlohmann::json to_json(const RenderSettings& settings);

// Applies "--set key.path=value" (value parsed as JSON, else taken as a string) to a preset.
void apply_override(nlohmann::json& preset, const std::string& assignment);

}  // namespace k3::anim
