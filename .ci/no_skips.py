"""Fail when a pytest JUnit report holds a skipped test (expected failures are fine).

``.ci/run`` runs the README's test command from a clone with nothing beside it; a test that
needed a file from outside the repository would show up here as a skip. Usage::

    python3 .ci/no_skips.py junit.xml
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def skipped(report: str) -> list[str]:
    """``classname::name: message`` of every test skipped (``pytest.xfail`` not counted)."""
    found = []
    for case in ET.parse(report).getroot().iter("testcase"):
        for skip in case.findall("skipped"):
            if skip.get("type") == "pytest.xfail":
                continue
            name = f"{case.get('classname')}::{case.get('name')}"
            found.append(f"{name}: {skip.get('message') or skip.text or ''}".strip())
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: no_skips.py JUNIT_XML", file=sys.stderr)
        return 2
    found = skipped(argv[1])
    for line in found:
        print(f"skipped: {line}", file=sys.stderr)
    if found:
        print(f"{len(found)} test(s) skipped: every test must run", file=sys.stderr)
        return 1
    print("no test skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
