#include "actors/backup/backup_run.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/supervisor/supervisor.hpp"
#include "core/backup/backup_ring.hpp"
#include "core/backup/backup_take.hpp"
#include "core/obs/event_sink.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"
#include "messages/trace.hpp"

namespace paios {
namespace {

using answer = std::tuple<std::string, std::string, std::string>;

answer take(const backup_run_spec& spec) {
  const auto start_us = now_us();
  const auto now = now_ms();
  backup_request req{spec.home, spec.dest.empty() ? default_backup_dir(spec.home, now) : spec.dest, spec.version,
                     spec.origin, now};
  nlohmann::json data{{"dir", req.dest.string()}, {"origin", spec.origin}};
  const trace_id trace = spec.trace.valid() ? spec.trace : new_trace();
  auto taken = take_backup(req);
  if (!taken) {
    data["error"] = taken.message();
    emit_span("backup", "taken", trace, new_span_id(), spec.parent_span, start_us, now_us(), "failed", data.dump());
    spdlog::error("backup: {}", taken.message());
    return {std::string{to_string(taken.code())}, taken.message(), ""};
  }
  std::uint64_t bytes = 0;
  for (const auto& f : taken->files) bytes += f.size;
  auto pruned = nlohmann::json::array();
  if (spec.keep >= 0) {
    auto removed = prune_backups(spec.home, spec.keep);
    if (removed) {
      for (const auto& p : *removed) pruned.push_back(p.string());
    } else {
      data["error"] = removed.message();  // the backup stands; the next run tries the removal again
      spdlog::warn("backup: retention: {}", removed.message());
    }
  }
  data.update({{"files", taken->files.size()}, {"bytes", bytes}, {"pruned", pruned}});
  emit_span("backup", "taken", trace, new_span_id(), spec.parent_span, start_us, now_us(), "ok", data.dump());
  spdlog::info("backup: {} files, {} bytes in {}", taken->files.size(), bytes, req.dest.string());
  nlohmann::json body{{"dir", req.dest.string()}, {"manifest", manifest_json(*taken)}, {"pruned", std::move(pruned)}};
  return {"", "", body.dump()};
}

caf::behavior run_behavior(caf::event_based_actor* self, backup_run_spec spec) {
  guard_actor(self, "backup_run");
  return {
      [=](backup_atom) -> answer {
        auto result = take(spec);
        self->quit();
        return result;
      },
  };
}

}  // namespace

caf::actor spawn_backup_run(caf::actor_system& sys, backup_run_spec spec) {
  return sys.spawn<caf::detached>(run_behavior, std::move(spec));
}

}  // namespace paios
