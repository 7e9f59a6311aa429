// The table of keyframe schedules (animation/render/schedule_fields.h); Deforum's names follow
// sd-webui-deforum scripts/deforum_helpers/args.py (DeforumAnimArgs) and its ranges spec
// deforum.md 3.
#include "animation/render/schedule_fields.h"

#include <cmath>

namespace k3::anim {
namespace {

constexpr double kAny = 1e300;

// A row whose frame value is a double member: SECTION is the RenderSettings member path and its
// JSON spelling, FIELD the key, VALUE the FrameParams member.
#define K3_SCHEDULE(MEMBER, SECTION, FIELD, MIN, MAX, VALUE, DEFORUM, STORY)                              \
  ScheduleField {                                                                                         \
    SECTION, #FIELD, [](RenderSettings& s) -> std::string& { return s.MEMBER.FIELD; }, MIN, MAX,         \
        [](FrameParams& f, double v) { f.VALUE = v; }, DEFORUM, STORY                                      \
  }

std::vector<ScheduleField> make_table() {
  return {
      K3_SCHEDULE(motion, "motion", angle, -kAny, kAny, angle, "angle", true),
      K3_SCHEDULE(motion, "motion", zoom, 1e-3, 1e3, zoom, "zoom", false),
      K3_SCHEDULE(motion, "motion", translation_x, -kAny, kAny, translation_x, "translation_x", true),
      K3_SCHEDULE(motion, "motion", translation_y, -kAny, kAny, translation_y, "translation_y", true),
      K3_SCHEDULE(motion, "motion", translation_z, -kAny, kAny, translation_z, "translation_z", true),
      K3_SCHEDULE(motion, "motion", transform_center_x, -kAny, kAny, transform_center_x, "transform_center_x", false),
      K3_SCHEDULE(motion, "motion", transform_center_y, -kAny, kAny, transform_center_y, "transform_center_y", false),
      K3_SCHEDULE(motion, "motion", rotation_3d_x, -kAny, kAny, rotation_3d_x, "rotation_3d_x", true),
      K3_SCHEDULE(motion, "motion", rotation_3d_y, -kAny, kAny, rotation_3d_y, "rotation_3d_y", true),
      K3_SCHEDULE(motion, "motion", rotation_3d_z, -kAny, kAny, rotation_3d_z, "rotation_3d_z", true),
      K3_SCHEDULE(motion, "motion", perspective_flip_theta, -kAny, kAny, flip_theta, "perspective_flip_theta", true),
      K3_SCHEDULE(motion, "motion", perspective_flip_phi, -kAny, kAny, flip_phi, "perspective_flip_phi", true),
      K3_SCHEDULE(motion, "motion", perspective_flip_gamma, -kAny, kAny, flip_gamma, "perspective_flip_gamma", true),
      K3_SCHEDULE(motion, "motion", perspective_flip_fv, 1e-3, 179.999, flip_fv, "perspective_flip_fv", false),
      K3_SCHEDULE(motion, "motion", fov, 1e-3, 179.999, fov, "fov_schedule", false),
      K3_SCHEDULE(motion, "motion", near, 1e-6, kAny, near, "near_schedule", false),
      K3_SCHEDULE(motion, "motion", far, 1e-6, kAny, far, "far_schedule", false),
      // Deforum's strength, cfg_scale and steps schedules are converted (deforum_import.cpp).
      K3_SCHEDULE(generation, "generation", denoise, 0.0, 1.0, denoise, nullptr, false),
      K3_SCHEDULE(generation, "generation", guidance, 0.0, 100.0, guidance, nullptr, false),
      ScheduleField{"generation", "steps", [](RenderSettings& s) -> std::string& { return s.generation.steps; }, 1.0,
                    1000.0, [](FrameParams& f, double v) { f.steps = static_cast<int>(std::lround(v)); }, nullptr, false},
      K3_SCHEDULE(generation, "generation", noise, 0.0, 1.0, noise, "noise_schedule", false),
      K3_SCHEDULE(generation, "generation", contrast, 0.0, 10.0, contrast, "contrast_schedule", false),
      K3_SCHEDULE(generation, "generation", cadence_flow_factor, -100.0, 100.0, cadence_flow_factor,
                  "cadence_flow_factor_schedule", false),
      // The unsharp-mask kernel must be odd (cv::GaussianBlur): rounded up as Deforum users expect.
      ScheduleField{"generation.anti_blur", "kernel",
                    [](RenderSettings& s) -> std::string& { return s.generation.anti_blur.kernel; }, 1.0, 99.0,
                    [](FrameParams& f, double v) {
                      const int k = static_cast<int>(std::lround(v));
                      f.blur_kernel = k % 2 ? k : k + 1;
                    },
                    "kernel_schedule", false},
      K3_SCHEDULE(generation.anti_blur, "generation.anti_blur", sigma, 0.0, 100.0, blur_sigma, "sigma_schedule", false),
      K3_SCHEDULE(generation.anti_blur, "generation.anti_blur", amount, 0.0, 10.0, blur_amount, "amount_schedule", false),
      K3_SCHEDULE(generation.anti_blur, "generation.anti_blur", threshold, 0.0, 255.0, blur_threshold, "threshold_schedule",
                  false),
      ScheduleField{"seed", "schedule", [](RenderSettings& s) -> std::string& { return s.seed.schedule; }, -1.0,
                    4294967295.0, [](FrameParams& f, double v) { f.seed_schedule = v; }, "seed_schedule", false,
                    [](const RenderSettings& s) { return s.seed.behavior == SeedBehavior::Schedule; }},
  };
}

#undef K3_SCHEDULE

}  // namespace

nlohmann::json& ScheduleField::section_in(nlohmann::json& root) const {
  nlohmann::json* object = &root;
  std::string rest = section;
  for (std::size_t dot; (dot = rest.find('.')) != std::string::npos; rest = rest.substr(dot + 1))
    object = &(*object)[rest.substr(0, dot)];
  return (*object)[rest];
}

const std::vector<ScheduleField>& schedule_fields() {
  static const std::vector<ScheduleField> table = make_table();
  return table;
}

std::vector<const ScheduleField*> schedule_fields_in(const std::string& section) {
  std::vector<const ScheduleField*> rows;
  for (const auto& row : schedule_fields())
    if (section == row.section) rows.push_back(&row);
  return rows;
}

const ScheduleField* story_motion_field(const std::string& key) {
  for (const auto& row : schedule_fields())
    if (row.story_motion && key == row.key) return &row;
  return nullptr;
}

}  // namespace k3::anim
