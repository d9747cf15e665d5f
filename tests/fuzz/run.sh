#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/fuzz/run.sh - every libFuzzer harness over its kept corpus and a
# fixed number of new inputs, as TAP (scripts/fuzz.sh --check).
exec "$(cd "$(dirname "$0")/../.." && pwd)/scripts/fuzz.sh" --check "$@"
