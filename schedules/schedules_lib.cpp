// Anchor translation unit of k3_schedules (keeps the library non-empty while it grows).
namespace k3 {
extern const char* const k3_schedules_library_name;
const char* const k3_schedules_library_name = "k3_schedules";
}  // namespace k3
