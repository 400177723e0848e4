#!/usr/bin/env python3
"""Tests of tests/check_runbooks.py against the real ai and paiosd: each kind of rot in a sample runbook is caught
and named with its file, line and command; a sample of good commands passes; output blocks are not read.

    check_runbooks_test.py AI PAIOSD
"""
import os
import subprocess
import sys
import tempfile
import unittest

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_runbooks.py")
AI = PAIOSD = None


def run(markdown, *extra):
    with tempfile.TemporaryDirectory() as root:
        path = os.path.join(root, "sample.md")
        with open(path, "w") as f:
            f.write(markdown)
        out = subprocess.run([sys.executable, CHECK, "--ai", AI, "--paiosd", PAIOSD, *extra, path],
                             capture_output=True, text=True, timeout=60)
        return out.returncode, out.stdout.replace(path, "sample.md")


GOOD = """# A runbook

```sh
ai status --json
$ ai tasks --limit 20 --state failed
ai obs --category brain --status error --since 1h | head
ai --home /tmp/h kb search "the query" --k 5
ai "a prompt that is no command" --brain echo
ai - < prompt.txt
ai logs -f --component dispatcher -n 100
ai breaker reset claude && ai status
PAIOS_HOME=/tmp/h ai config check
ai pipeline runs nightly --limit 5   # a comment: --not-a-flag
ai jobs
ai hooks install --dry-run --project .
ai watch add ~/Downloads --class image
paiosd --check-config ~/.paiosd/config.json
/usr/local/bin/paiosd --version
systemctl --user status paiosd
sqlite3 ~/.paios/data/state.sqlite 'PRAGMA quick_check'
ai pipeline run nightly \\
   --input '{"x": 1}' --wait
```

```text
ai this is output and is not read --nonsense
```
"""


# A runbook line with a rotted command, and the report the checker must give after "sample.md:4: ": the rotted
# command (quotes removed), then what is wrong with it.
ROTS = [
    ("ai kb serch the query", "ai kb serch the query: `ai kb` has no subcommand 'serch'"),
    # a misspelt subcommand is not taken for a prompt
    ("ai stauts", "ai stauts: `ai` has no subcommand 'stauts'"),
    ("ai tasks --limt 5", "ai tasks --limt 5: `ai tasks` has no option --limt"),
    # a flag of another subcommand
    ("ai obs --wait", "ai obs --wait: `ai obs` has no option --wait"),
    ("ai logs -x", "ai logs -x: `ai logs` has no option -x"),
    # issue 20's migrations, not built
    ("paiosd --migrate --dry-run", "paiosd --migrate --dry-run: `paiosd` has no option --migrate"),
    ("ai breaker", "ai breaker: `ai breaker` needs a subcommand"),
    # an argument to a command that takes none
    ("ai jobs nightly", "ai jobs nightly: `ai jobs` has no subcommand 'nightly'"),
    # after a good command, in a pipe
    ("ai status --json | jq . && ai checkup", "ai checkup: `ai` has no subcommand 'checkup'"),
]


class CheckRunbooks(unittest.TestCase):
    def test_good_commands_pass(self):
        code, out = run(GOOD)
        self.assertEqual(code, 0, out)
        self.assertIn("17 commands in 1 runbooks checked, 0 rotted", out)

    def test_each_kind_of_rot_is_named_with_its_file_line_and_command(self):
        for line, report in ROTS:
            with self.subTest(line=line):
                code, out = run(f"# A runbook\n\n```sh\n{line}\n```\n")
                self.assertEqual(code, 1, out)
                self.assertIn(f"sample.md:4: {report}", out)

    def test_a_continued_line_is_reported_at_its_first_line(self):
        code, out = run("# A runbook\n\n```sh\nai pipeline run nightly \\\n   --inptu '{}'\n```\n")
        self.assertEqual(code, 1, out)
        self.assertIn("sample.md:4: ai pipeline run nightly --inptu {}: `ai pipeline run` has no option --inptu", out)

    def test_a_runbook_without_commands_fails(self):
        code, out = run("# Nothing to check\n\n```text\nai status\n```\n")
        self.assertEqual(code, 1, out)
        self.assertIn("only 0 commands found", out)


if __name__ == "__main__":
    AI, PAIOSD = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1])
