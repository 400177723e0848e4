#pragma once
// kb_store: the one owner of kb.sqlite, the knowledge base (core/kb/kb_db.hpp).
//
// Receives                                   Replies (std::string code, std::string message, std::string body)
//   (kb_add_atom, kb_request)                body {article_id, added, replaced, chunks, flags}: the article is
//                                            stored (wrapped in its envelope) and indexed before the reply
//   (kb_search_atom, kb_request)             body {results: [{article_id, title, source, kind, project, brain,
//                                            chunk, score, vector_score, keyword_score, passage}]}, best first
//   (kb_get_atom, kb_request)                body {article: {...}}; code not_found when there is none
//   (kb_rm_atom, kb_request)                 body {article_id, removed: true}; code not_found when there is none
//   (list_atom, kb_request, int limit)       body {articles: [...]}, newest first, without content
//   (status_atom)                            std::string JSON {articles, chunks, bytes, by_kind, model, dimensions,
//                                            pending_reembed}
// `code` is "" on success, else an error code of docs/protocol.md with `message` saying what went wrong.
// Owns: the database and the embedder, the built-in lexical one or an http provider (core/kb/http_embedder,
// with its cache, embed_cache.sqlite). When the embedding model differs from the one that made the stored
// vectors, it re-embeds them a batch per tick in the background (progress in status and the log), and
// answers searches meanwhile. Runs on its own thread (a detached actor): a large ingest or a scan never holds
// up a scheduler thread. Every operation leaves an event of category "kb".
// When the http provider fails: an add fails with store_failed naming the endpoint, the status and the
// provider's message, and stores nothing; a search falls back to keywords alone (and skips the provider for
// 30 s, so that each search does not wait out its retries); re-embedding tries again every 5 s.
#include <cstddef>
#include <filesystem>
#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "core/kb/http_embedder.hpp"
#include "core/kb/kb_db.hpp"
#include "messages/caf_types.hpp"

namespace paios {

// The table above as a type: a request it does not list is a compile error at the caller.
using kb_store_actor = caf::typed_actor<
    caf::replies_to<kb_add_atom, kb_request>::with<std::string, std::string, std::string>,
    caf::replies_to<kb_search_atom, kb_request>::with<std::string, std::string, std::string>,
    caf::replies_to<kb_get_atom, kb_request>::with<std::string, std::string, std::string>,
    caf::replies_to<kb_rm_atom, kb_request>::with<std::string, std::string, std::string>,
    caf::replies_to<list_atom, kb_request, int>::with<std::string, std::string, std::string>,
    caf::replies_to<status_atom>::with<std::string>,
    // Internal, sent only by the store to itself: the next batch of re-embedding or of building the index.
    caf::reacts_to<tick_atom>>;

struct kb_store_options {
  std::filesystem::path file;
  std::size_t dimensions = 256;        // of the embedder's vectors, local or http
  std::string provider = "local";      // "local" | "http"
  http_embedder_options http;          // with provider "http" (its dimensions are `dimensions`)
  std::filesystem::path cache_file;    // the http provider's embed_cache.sqlite; "" for no cache
  std::size_t cache_entries = 0;       // vectors kept there (kb.embedding.cache_entries); 0: no cache
  double vector_weight = 0.7;
  double keyword_weight = 0.3;
  double recency_half_life_days = 0;   // 0: no decay
  double mmr_lambda = 0;               // 0: no MMR
  std::size_t reembed_batch = 256;
  kb_index_options index;              // the exact scan, or the HNSW graph past its threshold
  std::size_t index_batch = 1024;      // vectors put in the graph being built between two requests
};

kb_store_actor spawn_kb_store(caf::actor_system& sys, kb_store_options opts);

}  // namespace paios
