#!/usr/bin/env python3
"""Every code block of sdk-docs/getting-started.md and sdk-reference.md in C++, CMake, proto or TOML is one of
the examples' files, or a contiguous part of one, character for character: the examples are built and run by the tests
(out_of_tree_plugin.sh, rpc_plugin.sh), so what the guide shows compiles and runs.
usage: doc_snippets.py SOURCE_DIR"""
import pathlib
import re
import sys

CHECKED = {"cpp", "cmake", "proto", "toml"}

source = pathlib.Path(sys.argv[1])
docs = source / "sdk-docs"
examples = {path: path.read_text() for folder in ("example-plugin", "rpc-plugin")
            for path in sorted((docs / folder).iterdir()) if path.is_file()}
failures = []
checked = 0
for guide in (docs / "getting-started.md", docs / "sdk-reference.md"):
    text = guide.read_text()
    for match in re.finditer(r"^```(\w*)\n(.*?)^```$", text, re.M | re.S):
        language, block = match.group(1), match.group(2)
        if language not in CHECKED:
            continue
        checked += 1
        if not any(block in example for example in examples.values()):
            line = text[:match.start()].count("\n") + 1
            failures.append(f"{guide}:{line}: this ```{language} block is in no file of sdk-docs/example-plugin "
                            f"or sdk-docs/rpc-plugin; copy it from the example it shows:\n{block}")
for failure in failures:
    print("FAIL:", failure, file=sys.stderr)
if checked < 10:
    failures.append(f"only {checked} code blocks found in the guides")
    print("FAIL:", failures[-1], file=sys.stderr)
if failures:
    sys.exit(1)
print(f"{checked} code blocks of getting-started.md and sdk-reference.md are the examples' files, verbatim")
