"""Sum the unit-test and pytest results into one closing line.

Usage: summarize.py BUILDDIR... PYTEST_XML...
Each unit-test log (BUILDDIR/tests/unit/*.log) ends with
"<suite>: N passed, M failed"; a log without that line (the program crashed
or was killed) counts as one failure.  Skipped pytest tests are not passes.
Prints "N passed, M failed" last and exits 1 if anything failed.
"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

LINE = re.compile(r"^[\w .-]+: (\d+) passed, (\d+) failed$", re.M)


def unit_counts(builddir):
    passed = failed = 0
    logs = sorted(glob.glob(os.path.join(builddir, "tests", "unit", "*.log")))
    if not logs:
        print(f"summarize: no unit-test logs in {builddir}")
        return 0, 1
    for log in logs:
        with open(log, errors="replace") as f:
            found = LINE.findall(f.read())
        if not found:
            print(f"summarize: {log}: no summary line (crashed?)")
            failed += 1
            continue
        p, fl = map(int, found[-1])
        passed += p
        failed += fl
    return passed, failed


def pytest_counts(path):
    if not os.path.exists(path):
        print("summarize: no pytest results")
        return 0, 1, 0
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    passed = failed = skipped = 0
    for s in suites:
        tests = int(s.get("tests", 0))
        f = int(s.get("failures", 0)) + int(s.get("errors", 0))
        sk = int(s.get("skipped", 0))
        passed += tests - f - sk
        failed += f
        skipped += sk
    if passed + failed == 0:
        failed += 1
        print("summarize: pytest ran no test")
    return passed, failed, skipped


def main():
    args = sys.argv[1:]
    builds = [a for a in args if not a.endswith(".xml")]
    xmls = [a for a in args if a.endswith(".xml")]
    total_p = total_f = 0
    for b in builds:
        p, f = unit_counts(b)
        print(f"unit ({os.path.basename(b)}): {p} passed, {f} failed")
        total_p += p
        total_f += f
    for xml in xmls:
        p, f, sk = pytest_counts(xml)
        where = os.path.basename(os.path.dirname(xml))
        print(f"protocol ({where}): {p} passed, {f} failed, {sk} skipped")
        total_p += p
        total_f += f
    print(f"{total_p} passed, {total_f} failed")
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
