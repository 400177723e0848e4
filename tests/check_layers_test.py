#!/usr/bin/env python3
"""Tests of tests/check_layers.py on small trees made here: each kind of offence is caught, a clean tree passes."""
import os
import subprocess
import sys
import tempfile
import unittest

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_layers.py")


def run(files):
    with tempfile.TemporaryDirectory() as root:
        for path, text in files.items():
            full = os.path.join(root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)
        out = subprocess.run([sys.executable, CHECK, root], capture_output=True, text=True)
        return out.returncode, out.stdout


CLEAN = {
    "messages/task.hpp": "#include <caf/all.hpp>\n",
    "core/sqlite/db.hpp": '#include "messages/task.hpp"\n',
    "core/kb/kb.hpp": '#include "core/sqlite/db.hpp"\n',
    "config/config.hpp": '#include "core/kb/kb.hpp"\n',
    "actors/kb/kb_store.hpp": '#include <caf/all.hpp>\n#include "config/config.hpp"\n',
    "actors/brain/brain.hpp": '#include "actors/kb/kb_store.hpp"\n',
    "bridges/zmq/bridge.hpp": '#include "actors/brain/brain.hpp"\n',
    "cli/main.cpp": '#include "bridges/zmq/bridge.hpp"\n',
}


class CheckLayers(unittest.TestCase):
    def assert_refused(self, path, include, *phrases):
        """The clean tree with `path` holding one `#include <include>` fails the check, and the report says each
        of `phrases`."""
        code, out = run({**CLEAN, path: f"#include {include}\n"})
        self.assertEqual(code, 1)
        for phrase in phrases:
            self.assertIn(phrase, out)

    def test_a_tree_whose_includes_point_down_passes(self):
        code, out = run(CLEAN)
        self.assertEqual(code, 0, out)

    def test_an_include_of_a_higher_layer_is_named(self):
        self.assert_refused("config/config.hpp", '"actors/kb/kb_store.hpp"', "config/config.hpp:1",
                            "config/ may not include actors/")

    def test_the_actor_runtime_below_actors_is_named(self):
        self.assert_refused("core/kb/kb.hpp", "<caf/all.hpp>", "core/kb/kb.hpp:1: includes <caf/all.hpp>")

    def test_a_cycle_between_domains_is_named(self):
        self.assert_refused("core/sqlite/db.hpp", '"core/kb/kb.hpp"', "a cycle between domains",
                            "core/kb -> core/sqlite")

    def test_one_bridge_using_another_is_named(self):
        self.assert_refused("bridges/mcp/server.hpp", '"bridges/zmq/bridge.hpp"', "one bridge may not use another")

    def test_an_include_outside_every_layer_is_named(self):
        self.assert_refused("core/kb/kb.hpp", '"kb.hpp"', "which is in no layer")


if __name__ == "__main__":
    unittest.main()
