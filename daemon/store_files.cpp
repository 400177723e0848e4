#include "daemon/store_files.hpp"

#include "core/alerts/alert_book.hpp"
#include "core/autonomy/grant_db.hpp"
#include "core/kb/embed_cache.hpp"
#include "core/kb/kb_db.hpp"
#include "core/obs/obs_db.hpp"
#include "core/state/state_db.hpp"

namespace paios {

std::filesystem::path store_path(const paios_home& home, const sqlite_schema& schema) {
  return home.data_dir() / (schema.store + ".sqlite");
}

std::vector<store_file> store_files(const paios_home& home) {
  std::vector<store_file> out;
  for (const sqlite_schema* s : {&state_db_schema(), &obs_db_schema(), &kb_db_schema(), &embed_cache_schema(),
                                 &autonomy::grant_db_schema(), &alert_book_schema()})
    out.push_back({store_path(home, *s), s});
  return out;
}

}  // namespace paios
