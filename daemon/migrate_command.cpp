#include "daemon/migrate_command.hpp"

#include <algorithm>

#include "core/sqlite/migrations.hpp"
#include "daemon/store_files.hpp"

namespace paios {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitMigrationFailed = 1;
constexpr int kExitHome = 3;  // as paiosd's start: PAIOS_HOME holds what this build cannot use

void list_pending(const migration_plan& plan, const char* verb, std::ostream& out) {
  for (const migration* m : plan.pending) out << "  " << verb << " " << m->version << ": " << m->summary << "\n";
}

}  // namespace

expected<std::vector<migration_plan>> check_store_schemas(const paios_home& home) {
  std::vector<migration_plan> plans;
  for (const auto& store : store_files(home)) {
    auto plan = plan_migrations(store.path, *store.schema);
    if (!plan) return plan.error();
    plans.push_back(std::move(*plan));
  }
  return plans;
}

int migrate_stores(const paios_home& home, bool dry_run, std::ostream& out, std::ostream& err) {
  int exit_code = kExitOk;
  for (const auto& store : store_files(home)) {
    auto plan = plan_migrations(store.path, *store.schema);
    if (!plan) {
      err << "paiosd: " << plan.message() << "\n";
      exit_code = std::max(exit_code, kExitHome);
      continue;  // the others are still listed (or migrated): each file stands alone
    }
    out << store.path.string() << ": ";
    if (!plan->exists) {
      out << "not there (its store creates it at schema " << plan->to << ")\n";
      continue;
    }
    if (plan->pending.empty()) {
      out << "schema " << plan->from << ", up to date\n";
      continue;
    }
    out << "schema " << plan->from << ", this paiosd writes " << plan->to << "\n";
    if (dry_run) {
      list_pending(*plan, "would run", out);
      continue;
    }
    migration_report report;
    // FULL sync: a migration is rare and its commits are the file's schema.
    auto opened = open_migrated(store.path, *store.schema, true, {}, &report);
    if (!opened) {
      err << "paiosd: " << opened.message() << "\n";
      exit_code = std::max(exit_code, kExitMigrationFailed);
      continue;
    }
    list_pending(*plan, "ran", out);
    if (!report.backup.empty()) out << "  the file as it was: " << report.backup.string() << "\n";
  }
  return exit_code;
}

}  // namespace paios
