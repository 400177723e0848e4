#!/usr/bin/env python3
"""`ai mcp install` read back by the real agents: Codex CLI (npm @openai/codex, its native binary) lists the
[mcp_servers.paios] table next to a server that was there before; Claude Code (the binary claude_code_e2e.py
installs) finds the project's .mcp.json entry, and with the user-scope entry it starts `ai mcp` and connects to it
(`claude mcp list` runs each server's initialize); Gemini CLI (npm @google/gemini-cli) connects to it too. The packages are installed into the build tree on first run;
exit 77 (skipped) when npm cannot reach its registry.

usage: mcp_install_e2e.py BUILD_DIR AI
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from claude_code_e2e import claude_binary  # noqa: E402

CODEX_VERSION = "0.171.0"
GEMINI_VERSION = "0.61.0"


def log(*a):
    print("[mcp install e2e]", *a, flush=True)


def npm_binary(build, folder, package, version, name):
    """The package's command, installed into BUILD/FOLDER on first use (Codex's launcher runs its native binary)."""
    prefix = os.path.join(build, folder)
    launcher = os.path.join(prefix, "node_modules/.bin", name)
    if not os.path.exists(launcher):
        if subprocess.run(["npm", "ping", "--fetch-retries=0"], capture_output=True, timeout=60).returncode != 0:
            log("npm cannot reach its registry: skipped")
            sys.exit(77)
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", prefix, package + "@" + version],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0 or not os.path.exists(launcher):
            log("npm install %s failed:" % package, r.stderr[-2000:])
            sys.exit(1)
    return launcher


def main():
    build, ai = sys.argv[1], os.path.abspath(sys.argv[2])
    claude = claude_binary(build)
    codex = npm_binary(build, "e2e-codex", "@openai/codex", CODEX_VERSION, "codex")
    gemini = npm_binary(build, "e2e-gemini", "@google/gemini-cli", GEMINI_VERSION, "gemini")
    tmp = tempfile.mkdtemp(prefix="paios-mcp-install-")
    paios = os.path.join(tmp, "paios")
    failures = []

    def check(ok, what):
        log(("ok:   " if ok else "FAIL: ") + what)
        if not ok:
            failures.append(what)

    def run(cmd, home, cwd=None, **env):
        e = dict(os.environ, HOME=home, DISABLE_TELEMETRY="1", DISABLE_AUTOUPDATER="1", DISABLE_ERROR_REPORTING="1",
                 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1", **env)
        e.pop("PAIOS_HOME", None)
        return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=e, timeout=120)

    # Codex: a config with comments and another server; both are there after the install, untouched.
    home = os.path.join(tmp, "codex-user")
    codex_home = os.path.join(home, ".codex")
    os.makedirs(codex_home)
    before = '# my settings\nmodel = "o4-mini"\n\n[mcp_servers.docs]\ncommand = "docs-mcp"  # keep me\nargs = ["--stdio"]\n'
    with open(os.path.join(codex_home, "config.toml"), "w") as f:
        f.write(before)
    r = run([ai, "--home", paios, "mcp", "install", "codex"], home)
    check(r.returncode == 0, "ai mcp install codex: " + (r.stdout + r.stderr).strip())
    text = open(os.path.join(codex_home, "config.toml")).read()
    check(text.startswith(before), "the lines before are kept byte for byte")
    r = run([codex, "mcp", "list", "--json"], home, CODEX_HOME=codex_home)
    try:
        servers = {s["name"]: s for s in json.loads(r.stdout)}
    except (ValueError, KeyError, TypeError):
        servers = {}
        log("codex mcp list:", r.returncode, r.stdout[-1000:], r.stderr[-1000:])
    paios_entry = servers.get("paios", {}).get("transport", {})
    check(paios_entry.get("command") == ai and paios_entry.get("args") == ["--home", paios, "mcp"],
          "Codex reads [mcp_servers.paios]: %s" % paios_entry)
    check(servers.get("docs", {}).get("transport", {}).get("command") == "docs-mcp", "Codex still reads the docs server")
    r = run([ai, "--home", paios, "mcp", "install", "codex"], home)
    check("already registered" in r.stdout, "a second install changes nothing: " + r.stdout.strip())

    # Claude Code, project scope: the .mcp.json entry is the project's "paios" server.
    home = os.path.join(tmp, "claude-project")
    project = os.path.join(tmp, "project")
    os.makedirs(home)
    os.makedirs(project)
    r = run([ai, "--home", paios, "mcp", "install", "claude", "--project", project], home)
    check(r.returncode == 0, "ai mcp install claude --project: " + (r.stdout + r.stderr).strip())
    r = run([claude, "mcp", "get", "paios"], home, cwd=project)
    check("Project config" in r.stdout and ai in r.stdout, "claude mcp get paios: " + r.stdout.strip().replace("\n", " | "))

    # Claude Code, user scope: it starts `ai mcp` and connects (no daemon needed for initialize and tools/list).
    home = os.path.join(tmp, "claude-user")
    os.makedirs(home)
    with open(os.path.join(home, ".claude.json"), "w") as f:
        json.dump({"numStartups": 3, "userID": "e2e", "mcpServers": {}}, f)
    r = run([ai, "--home", paios, "mcp", "install", "claude", "--user"], home)
    check(r.returncode == 0, "ai mcp install claude --user: " + (r.stdout + r.stderr).strip())
    r = run([claude, "mcp", "list"], home, cwd=home)
    line = next((l for l in r.stdout.splitlines() if l.startswith("paios:")), "")
    check("Connected" in line, "claude mcp list connects to ai mcp: " + (line or r.stdout + r.stderr).strip())
    kept = json.load(open(os.path.join(home, ".claude.json")))
    check(kept.get("userID") == "e2e", "the rest of ~/.claude.json is kept")

    # Gemini CLI, user scope: it connects to `ai mcp` in a folder it trusts.
    home = os.path.join(tmp, "gemini-user")
    os.makedirs(os.path.join(home, ".gemini"))
    with open(os.path.join(home, ".gemini", "settings.json"), "w") as f:
        json.dump({"theme": "GitHub", "mcpServers": {"docs": {"command": "docs-mcp", "trust": True}}}, f)
    with open(os.path.join(home, ".gemini", "trustedFolders.json"), "w") as f:
        json.dump({home: "TRUST_FOLDER"}, f)
    r = run([ai, "--home", paios, "mcp", "install", "gemini"], home)
    check(r.returncode == 0, "ai mcp install gemini: " + (r.stdout + r.stderr).strip())
    r = run([gemini, "mcp", "list"], home, cwd=home)
    out = r.stdout + r.stderr
    line = next((l for l in out.splitlines() if "paios:" in l), "")
    check("Connected" in line, "gemini mcp list connects to ai mcp: " + (line or out).strip())
    check("docs:" in out, "Gemini still lists the docs server")

    if failures:
        log("%d check(s) failed (files in %s)" % (len(failures), tmp))
        return 1
    log("all checks passed")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
