#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Counts what one suite of scripts/test.sh did, case by case.

  test-count.py meson BUILD/meson-logs/testlog.json
  test-count.py node  LOG      (node --test --test-reporter=tap)
  test-count.py tap   LOG      (TAP lines: tests/dt, tests/cross, the kernel VM)

Prints "PASSED FAILED SKIPPED" on stdout and, on stderr, one line for every
failure and every skip with its reason.  The rules, the same for every suite:
- a case that did not pass is a failure: "not ok", a node test that was
  cancelled (it timed out, or its file died), a test program that crashed or
  timed out before saying "not ok" (one failure for the program);
- a skip is a skip ("# SKIP" or "# TODO", GLib's g_test_skip, a node
  skip/todo, a test program that exits 77), never a pass;
- GLib test programs count one case per "ok"/"not ok" line (meson's own
  count is per program).
"""
import json
import re
import sys

CASE = re.compile(r'^(not ok|ok)\b(.*)$')
DIRECTIVE = re.compile(r'#\s*(SKIP|TODO)\b\s*(.*)$', re.IGNORECASE)


class Count:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def case(self, line, where=''):
        """One TAP case line; returns False when the line is not one."""
        m = CASE.match(line.strip())
        if not m:
            return False
        d = DIRECTIVE.search(m.group(2))
        if d:
            self.skipped += 1
            print(f'skipped: {where}{m.group(2).split("#")[0].strip()} ({d.group(1).upper()}: {d.group(2).strip() or "no reason given"})',
                  file=sys.stderr)
        elif m.group(1) == 'not ok':
            self.failed += 1
            print(f'failed: {where}{m.group(2).strip()}', file=sys.stderr)
        else:
            self.passed += 1
        return True

    def line(self):
        return f'{self.passed} {self.failed} {self.skipped}'


def count_tap(text, count, where=''):
    """Case lines at the top level of a TAP stream (indented subtests of
    node's reporter are left to its summary)."""
    cases = 0
    for line in text.splitlines():
        if line.startswith(('ok', 'not ok')) and count.case(line, where):
            cases += 1
        elif re.match(r'^1\.\.0\s*#\s*SKIP', line, re.IGNORECASE):
            count.skipped += 1
            cases += 1
            print(f'skipped: {where}the whole program ({line.strip()})', file=sys.stderr)
    return cases


def count_meson(path):
    count = Count()
    with open(path) as f:
        for raw in f:
            if not raw.strip():
                continue
            test = json.loads(raw)
            name, result = test['name'], test['result']
            out = test.get('stdout') or ''
            failed_before = count.failed
            cases = count_tap(out, count, f'{name}: ')
            if result == 'SKIP' and cases == 0:
                count.skipped += 1
                print(f'skipped: {name}: the program exited 77', file=sys.stderr)
            elif result not in ('OK', 'EXPECTEDFAIL', 'SKIP') and count.failed == failed_before:
                # It crashed, bailed out or timed out without a "not ok":
                # the cases it never reached are unknown, the program failed.
                count.failed += 1
                print(f'failed: {name}: {result} (exit status {test.get("returncode")}) '
                      f'after {cases} case(s)', file=sys.stderr)
            elif cases == 0 and result == 'OK':
                count.passed += 1       # a program that is not TAP
    return count


def count_node(path):
    """node's TAP summary ("# pass", "# fail", "# cancelled", "# skipped",
    "# todo") covers nested subtests; the failures and skips are named from
    the case lines."""
    text = open(path, errors='replace').read()
    summary = {}
    for m in re.finditer(r'^# (pass|fail|cancelled|skipped|todo) (\d+)$', text, re.MULTILINE):
        summary[m.group(1)] = int(m.group(2))
    count = Count()
    if 'pass' not in summary:
        count.failed = 1
        print(f'failed: {path}: no summary (the test runner died?)', file=sys.stderr)
        return count
    count.passed = summary['pass']
    count.failed = summary.get('fail', 0) + summary.get('cancelled', 0)
    count.skipped = summary.get('skipped', 0) + summary.get('todo', 0)
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith('not ok') and not DIRECTIVE.search(stripped):
            print(f'failed: {stripped}', file=sys.stderr)
        elif CASE.match(stripped) and DIRECTIVE.search(stripped):
            print(f'skipped: {stripped}', file=sys.stderr)
    return count


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ('meson', 'node', 'tap'):
        print(__doc__.strip().splitlines()[2:5], file=sys.stderr)
        sys.exit(2)
    kind, path = sys.argv[1], sys.argv[2]
    if kind == 'meson':
        count = count_meson(path)
    elif kind == 'node':
        count = count_node(path)
    else:
        count = Count()
        count_tap(open(path, errors='replace').read(), count)
    print(count.line())


if __name__ == '__main__':
    main()
