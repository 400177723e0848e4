#!/usr/bin/env python3
"""Keeps the runbooks' commands from rotting (docs/runbooks/README.md, issue 20).

Every `ai ...` and `paiosd ...` command in a fenced code block of docs/runbooks/*.md is checked against the real
binaries in a form that cannot change anything: the subcommand path is walked with `ai <path> --help` (each word
must be a subcommand that help lists, until the command's positionals begin), and every flag the command names
must be in that subcommand's help. A rotted command is reported as FILE:LINE: COMMAND: what is wrong, and the
exit status is 1.

    check_runbooks.py --ai build/cli/ai --paiosd build/daemon/paiosd docs/runbooks/*.md

Which blocks are read: every fenced block except those whose info string says they are not commands (text, json,
sql, ...: a command's output or a file's contents). A command is a line (with its `\\` continuations) or a part of
one between `|`, `&&`, `||` and `;`, whose first word (after `$ `, `sudo`, `env` and VAR=value words) is `ai` or
`paiosd`, or a path ending in /ai or /paiosd.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys

# Info strings of blocks that hold output or file contents, never commands to check.
NOT_COMMANDS = {"text", "json", "jsonc", "sql", "ini", "toml", "yaml", "output", "log", "diff", "cpp"}
SEPARATORS = {"|", "||", "&&", ";", "&"}
# An option whose help shows one of these after its name takes a value (CLI11's type names: TEXT, INT, UINT,
# INT:INT, TEXT:{a,b}); anything else after the name is its description.
VALUE_TYPE = re.compile(r"^[A-Z]{3,}(\b|:)")


class Help:
    """One subcommand's --help, read into what the check needs."""

    def __init__(self, text):
        self.subcommands = set()
        self.options = {}  # every spelling (-f, --follow) -> takes a value
        self.has_positionals = False
        self.required_subcommand = False
        section = None
        for line in text.splitlines():
            if line.startswith("Usage:"):
                self.required_subcommand = line.rstrip().endswith(" SUBCOMMAND")
                continue
            if line and not line.startswith(" "):
                section = line.rstrip(":").strip()
                if section == "Positionals":
                    self.has_positionals = True
                continue
            m = re.match(r"^  (\S+)(?:\s+(.*))?$", line)
            if not m:
                continue
            if section == "Subcommands":
                self.subcommands.add(m.group(1))
            elif section in ("Options", "Global options") and m.group(1).startswith("-"):
                takes_value = bool(m.group(2) and VALUE_TYPE.match(m.group(2)))
                for spelling in m.group(1).split(","):
                    self.options[spelling] = takes_value


class Binaries:
    """Runs `PROGRAM <path> --help` once per path, and remembers what it said."""

    def __init__(self, programs):
        self.programs = programs  # "ai" / "paiosd" -> the executable
        self.cache = {}

    def help(self, program, path):
        key = (program, tuple(path))
        if key not in self.cache:
            env = dict(os.environ, COLUMNS="200")
            out = subprocess.run([self.programs[program], *path, "--help"], capture_output=True, text=True,
                                 env=env, timeout=30)
            self.cache[key] = Help(out.stdout) if out.returncode == 0 else None
        return self.cache[key]


def fenced_lines(text):
    """(line number, line) of every line inside a fenced block that may hold commands."""
    fence = None
    checked = False
    for number, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^\s*(```+|~~~+)\s*([\w+-]*)", line)
        if fence is None and m:
            fence, checked = m.group(1), m.group(2).lower() not in NOT_COMMANDS
            continue
        if fence is not None and line.strip().startswith(fence):
            fence = None
            continue
        if fence is not None and checked:
            yield number, line


def logical_lines(lines):
    """Joins `\\`-continued lines; each result carries the number of its first line."""
    start, parts = None, []
    for number, line in lines:
        if start is None:
            start = number
        if line.rstrip().endswith("\\"):
            parts.append(line.rstrip()[:-1])
            continue
        parts.append(line)
        yield start, " ".join(parts)
        start, parts = None, []
    if parts:
        yield start, " ".join(parts)


def without_redirections(line):
    """The line without its `$ ` prompt and its redirections (`< file`, `> out`, `2>&1`): they are not arguments."""
    line = re.sub(r"^\s*\$\s+", "", line)
    return re.sub(r"\s\d*(?:>&\d+|>>?\s*\S+|<\s*\S+)", " ", line)


def shell_words(line, posix):
    """The words of a shell line with `;`, `&` and `|` runs as words of their own, comments dropped; posix=False keeps
    the quotes. None for a line the shell could not read either (an unbalanced quote)."""
    lexer = shlex.shlex(line, posix=posix, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:
        return None


def split_commands(words):
    """The simple commands of a line's words, split at `|`, `&&`, `||`, `;` and `&`."""
    commands, current = [], []
    for w in words:
        if w in SEPARATORS:
            commands.append(current)
            current = []
        else:
            current.append(w)
    commands.append(current)
    return [c for c in commands if c]


def program_of(words):
    """('ai' | 'paiosd', the words after it), or None when the command runs something else."""
    i = 0
    while i < len(words) and (words[i] in ("sudo", "env", "exec", "time") or re.match(r"^[A-Za-z_]\w*=", words[i])):
        i += 1
    if i == len(words):
        return None
    name = os.path.basename(words[i])
    if name in ("ai", "paiosd") and (words[i] == name or "/" in words[i]):
        return name, words[i + 1:]
    return None


def check_command(binaries, program, args, raw_args):
    """What is wrong with `program args`, or None. raw_args are the same words with their quotes, so that
    `ai "two words"` (a prompt) is told from `ai stauts` (a subcommand that does not exist)."""
    path = []
    helps = binaries.help(program, path)
    if helps is None:
        return f"`{program} --help` failed"
    positionals = 0
    i = 0
    after_dashes = False
    while i < len(args):
        word = args[i]
        if not after_dashes and word == "--":
            after_dashes = True
        elif word == "-" and program == "ai" and not path:
            positionals += 1  # `ai -`: the prompt from stdin
        elif not after_dashes and word.startswith("-") and word != "-":
            name = word.split("=", 1)[0]
            if name not in helps.options:
                where = " ".join([program, *path])
                return f"`{where}` has no option {name} (see `{where} --help`)"
            if helps.options[name] and "=" not in word:
                i += 1  # its value
        elif not after_dashes and positionals == 0 and word in helps.subcommands:
            path.append(word)
            helps = binaries.help(program, path)
            if helps is None:
                return f"`{program} {' '.join(path)} --help` failed"
        else:
            where = " ".join([program, *path])
            quoted = i < len(raw_args) and raw_args[i][:1] in ("'", '"')
            if helps.subcommands and positionals == 0 and not after_dashes and not quoted and \
                    (helps.required_subcommand or not helps.has_positionals or not path):
                return f"`{where}` has no subcommand {word!r} (it has: {', '.join(sorted(helps.subcommands))})"
            if not helps.has_positionals and not (not path and program == "ai"):
                return f"`{where}` takes no argument, and was given {word!r}"
            positionals += 1
        i += 1
    if helps.required_subcommand:
        return f"`{' '.join([program, *path])}` needs a subcommand (it has: {', '.join(sorted(helps.subcommands))})"
    return None


def check_file(binaries, file, shown_name=None):
    """The problems of one runbook, each 'FILE:LINE: COMMAND: why'. Also returns how many commands it checked."""
    shown = shown_name or file
    with open(file, encoding="utf-8") as f:
        text = f.read()
    problems, checked = [], 0
    for number, line in logical_lines(fenced_lines(text)):
        line = without_redirections(line)
        words = shell_words(line, posix=True)
        if words is None:
            if re.search(r"\b(ai|paiosd)\b", line):
                problems.append(f"{shown}:{number}: {line.strip()}: the shell cannot read this line (a quote?)")
            continue
        commands = split_commands(words)
        raw_commands = split_commands(shell_words(line, posix=False) or [])
        for index, command in enumerate(commands):
            found = program_of(command)
            if not found:
                continue
            program, args = found
            raw = raw_commands[index] if index < len(raw_commands) else []
            raw_args = raw[len(raw) - len(args):] if len(raw) >= len(args) else []
            checked += 1
            why = check_command(binaries, program, args, raw_args)
            if why:
                problems.append(f"{shown}:{number}: {' '.join(command)}: {why}")
    return problems, checked


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ai", required=True, help="the ai executable")
    parser.add_argument("--paiosd", required=True, help="the paiosd executable")
    parser.add_argument("--min-commands", type=int, default=1,
                        help="fail when fewer commands than this were found (a parser that finds none checks nothing)")
    parser.add_argument("files", nargs="+")
    a = parser.parse_args()
    binaries = Binaries({"ai": a.ai, "paiosd": a.paiosd})
    problems, total = [], 0
    for file in a.files:
        found, checked = check_file(binaries, file)
        problems += found
        total += checked
    for p in problems:
        print(p)
    if total < a.min_commands:
        print(f"only {total} commands found in {len(a.files)} files (at least {a.min_commands} expected)")
        return 1
    print(f"{total} commands in {len(a.files)} runbooks checked, {len(problems)} rotted")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
