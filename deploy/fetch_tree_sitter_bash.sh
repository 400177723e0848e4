#!/usr/bin/env bash
# Fetches the bash grammar of tree-sitter (its generated C sources: src/parser.c, src/scanner.c,
# src/tree_sitter/*.h), pinned below, from npm into DIR (the build tree; nothing is written to the source tree).
# core/autonomy compiles them against Debian 12's libtree-sitter 0.20.7, which loads grammars of ABI
# (LANGUAGE_VERSION) 13 and 14 only: 0.23.3 is the newest tree-sitter-bash with ABI 14 (0.25.x is ABI 15).
# Already there at that version: does nothing.
#   deploy/fetch_tree_sitter_bash.sh DIR
set -euo pipefail
dir="${1:?usage: fetch_tree_sitter_bash.sh DIR}"
version="0.23.3"
stamp="$dir/.version"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ] && [ -f "$dir/src/parser.c" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "fetch_tree_sitter_bash.sh: npm is needed (deploy/setup.sh installs it)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && timeout 300 npm pack --silent "tree-sitter-bash@$version" >/dev/null)
tar -xzf "$tmp/tree-sitter-bash-$version.tgz" -C "$tmp"
grep -Eq '#define LANGUAGE_VERSION 1[34]$' "$tmp/package/src/parser.c" ||
  { echo "fetch_tree_sitter_bash.sh: tree-sitter-bash $version is not of ABI 13 or 14" >&2; exit 1; }
rm -rf "$dir/src"
mkdir -p "$dir"
cp -r "$tmp/package/src" "$dir/src"
echo "$version" >"$stamp"
echo "fetch_tree_sitter_bash.sh: tree-sitter-bash $version in $dir"
