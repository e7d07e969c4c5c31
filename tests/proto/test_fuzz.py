"""The libFuzzer targets of tests/fuzz, each run for a few seconds.

tools/fuzz builds them (clang, --enable-fuzzers) in a build directory of
their own, $CHAPAR_FUZZ_BUILDDIR or <repo>/build-fuzz, once per session,
and runs each target for FUZZ_SECONDS over its seed corpus (which holds
every input that once crashed a target) and what it mutates from it.  A
crash, a leak, a sanitizer report or a failed check fails the test.

The protocol suite runs twice (tests/run-all: build/ and the ASan+UBSan
build-asan/); the fuzz targets carry ASan and UBSan themselves, so they run
only in the pass whose CHAPAR_BUILDDIR was not configured with
--enable-sanitizers, and are reported as skipped in the other.
"""

import os
import re
import subprocess

import pytest

import chapar_instance

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUZZ = os.path.join(TOP, "tools", "fuzz")
TARGETS = ["imap_parser", "message", "cache_decode", "mailbox_header",
           "mailbox_index", "lmtp", "pop3", "mboxfmt", "sieve"]
FUZZ_SECONDS = 3


def sanitizer_pass():
    """Is $CHAPAR_BUILDDIR the --enable-sanitizers build?"""
    status = os.path.join(chapar_instance.builddir(), "config.status")
    try:
        with open(status, errors="replace") as f:
            return "--enable-sanitizers" in f.read()
    except OSError:
        return False


once = pytest.mark.skipif(
    sanitizer_pass(),
    reason="fuzz targets run once, in the pass without --enable-sanitizers "
           "(they have ASan+UBSan built in)")


@pytest.fixture(scope="module")
def fuzz_builddir():
    d = os.environ.get("CHAPAR_FUZZ_BUILDDIR") or os.path.join(TOP, "build-fuzz")
    p = subprocess.run([FUZZ, "-b", "-d", d], capture_output=True, text=True,
                       timeout=1200)
    assert p.returncode == 0, p.stderr
    return d


@once
@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_short_run(fuzz_builddir, tmp_path, target):
    p = subprocess.run([FUZZ, "-t", str(FUZZ_SECONDS), "-d", fuzz_builddir,
                        "-o", str(tmp_path), target],
                       capture_output=True, text=True, timeout=120)
    log = tmp_path / f"fuzz-{target}.log"
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    assert p.returncode == 0, p.stdout + p.stderr + tail
    m = re.fullmatch(rf"fuzz: {target}: (\d+) executions in \d+ s, "
                     r"corpus (\d+) inputs, ok\n", p.stdout)
    assert m, p.stdout
    # every seed ran, and the fuzzer went on past them
    seeds = len(os.listdir(os.path.join(TOP, "tests", "fuzz",
                                        f"corpus_{target}")))
    assert int(m.group(1)) > seeds
    assert not os.listdir(tmp_path / "fuzz-crashes" / target)


@once
def test_fuzz_refuses_unknown_target(tmp_path):
    p = subprocess.run([FUZZ, "-d", str(tmp_path), "nosuch"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert p.stdout == ""
    assert p.stderr == "fuzz: unknown target: nosuch\n"


def test_make_fuzz_needs_fuzzer_build(builddir):
    """`make fuzz` in a build directory configured without --enable-fuzzers
    says how to configure one, and fails."""
    p = subprocess.run(["make", "-s", "-C", builddir, "fuzz"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode != 0
    assert ("make fuzz: configure this build directory with "
            "CC=clang ../configure --enable-fuzzers") in p.stderr
