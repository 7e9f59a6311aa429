// Anchor translation unit of k3_animation (keeps the library non-empty while it grows).
namespace k3 {
extern const char* const k3_animation_library_name;
const char* const k3_animation_library_name = "k3_animation";
}  // namespace k3
