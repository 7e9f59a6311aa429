#pragma once
// Fault injection for crash tests (off unless its environment variable is set).
// K3_FAULT_AT=<point>:<n> ends the process with SIGKILL at the n-th passage (1-based) through
// fault_point("<point>"), as a power cut or the OOM killer would: no destructor, no flush, no
// cleanup. K3_FAULT_LOG=<file> appends the name of every passage to <file>, so a test can list
// every point a render passes and then crash it at each in turn. Both are read once per process.
// Points: settings.written, file.renaming (any atomic write, between its temporary file and the
// rename), frame.before/after, journal.before/after, video.before, video.frame, video.commit
// (the finished file, before its rename into place), video.after.
namespace k3 {

void fault_point(const char* point);

}  // namespace k3
