// Anchor translation unit of k3_frame (keeps the library non-empty while it grows).
namespace k3 {
extern const char* const k3_frame_library_name;
const char* const k3_frame_library_name = "k3_frame";
}  // namespace k3
