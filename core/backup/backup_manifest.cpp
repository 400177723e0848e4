#include "core/backup/backup_manifest.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace paios {
namespace {

status bad_manifest(const std::filesystem::path& file, const std::string& why) {
  return {errc::bad_request, file.string() + ": " + why};
}

// A path that stays inside the folder it is relative to: not absolute, no "..", not empty.
bool contained(const std::string& path) {
  std::filesystem::path p{path};
  if (path.empty() || p.is_absolute()) return false;
  for (const auto& part : p)
    if (part == "..") return false;
  return true;
}

}  // namespace

nlohmann::json manifest_json(const backup_manifest& m) {
  auto files = nlohmann::json::array();
  for (const auto& f : m.files) {
    nlohmann::json j{{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}, {"kind", f.database ? "sqlite" : "file"}};
    if (f.database) j["user_version"] = f.user_version;
    files.push_back(std::move(j));
  }
  return {{"format", m.format},         {"paiosd_version", m.paiosd_version},
          {"created_ms", m.created_ms}, {"created", utc_timestamp(m.created_ms)},
          {"origin", m.origin},         {"files", std::move(files)}};
}

status write_manifest(const std::filesystem::path& dir, const backup_manifest& m) {
  const auto file = dir / kManifestName;
  const auto temp = dir / (std::string{kManifestName} + ".tmp");
  const std::string text = manifest_json(m).dump(2) + "\n";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return {errc::store_failed, "cannot write " + temp.string() + ": " + std::strerror(errno)};
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return {errc::store_failed, "cannot write " + temp.string() + ": " + std::strerror(err)};
  std::error_code ec;
  std::filesystem::rename(temp, file, ec);
  if (ec) return {errc::store_failed, "cannot write " + file.string() + ": " + ec.message()};
  return {};
}

expected<backup_manifest> read_manifest(const std::filesystem::path& dir) {
  const auto file = dir / kManifestName;
  std::ifstream in(file);
  if (!in) return bad_manifest(file, "cannot be read (is " + dir.string() + " a backup?)");
  std::stringstream text;
  text << in.rdbuf();
  auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return bad_manifest(file, "is not a JSON object");
  try {
    backup_manifest m;
    m.format = doc.at("format").get<int>();
    if (m.format != backup_manifest::current_format)
      return bad_manifest(file, "format " + std::to_string(m.format) + " is not one this program reads (1)");
    m.paiosd_version = doc.at("paiosd_version").get<std::string>();
    m.created_ms = doc.at("created_ms").get<std::int64_t>();
    m.origin = doc.value("origin", std::string{"manual"});
    for (const auto& j : doc.at("files")) {
      backup_file f;
      f.path = j.at("path").get<std::string>();
      if (!contained(f.path)) return bad_manifest(file, "file path \"" + f.path + "\" leaves the backup's folder");
      f.size = j.at("size").get<std::uint64_t>();
      f.sha256 = j.at("sha256").get<std::string>();
      f.database = j.at("kind").get<std::string>() == "sqlite";
      f.user_version = j.value("user_version", std::int64_t{0});
      m.files.push_back(std::move(f));
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    return bad_manifest(file, std::string{"a field is missing or of the wrong type: "} + e.what());
  }
}

std::string utc_timestamp(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace paios
