#pragma once
// Reading a file of /proc/<pid>/ (stat, environ) whole, for the scans that look at every process on the machine.
// Never throws: a process may exit between the directory listing and the read, and then read() fails with
// ESRCH. libstdc++'s filebuf throws on that (std::__ios_failure from underflow, which an istreambuf_iterator
// does not catch), and one such exception on a scanning thread ended paiosd with SIGABRT whenever another
// program's processes exited during a scan (issue 26's runs of two test daemons side by side found it).
#include <string>

namespace paios {

// The file's bytes; what was read before an error, or "" when it cannot be opened (a process that is gone).
std::string read_proc_file(const std::string& path);

}  // namespace paios
