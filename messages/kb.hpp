#pragma once
// The knowledge base's requests as they travel the bus (docs/protocol.md, "Knowledge base"): kb.add,
// kb.search, kb.get, kb.rm, kb.stats and learnings.recall. One struct for all of them: only the fields of
// the operation are meaningful. Replies are JSON objects' text, the body of the wire reply.
#include <string>
#include <vector>

namespace paios {

struct kb_request {
  // kb.add: the article. `content` is plain text; the daemon wraps it in an outside-content envelope.
  std::string content, title, source, kind, brain, session, project, topic, format;
  std::vector<std::string> tags;
  // kb.search and learnings.recall (`query` is the topic there), kb.list
  std::string query;
  int k = 5;
  // kb.get, kb.rm
  std::string id;
};

}  // namespace paios
