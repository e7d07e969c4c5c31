"""pytest fixtures for Chapar protocol tests; see README.md in this folder.

    tls_pair       (session)  (cert, key) generated once with the real openssl
    instance       (function) an Instance with the default options and users
    make_instance  (function) factory: make_instance(options={...}, users={...})
    builddir       (session)  $CHAPAR_BUILDDIR or <repo>/build

Every Instance is torn down after its test (processes stopped, listeners
closed).  When a test fails, the instance's log tail and the stderr of its
programs are printed in the report ("Captured stdout teardown").
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import chapar_instance  # noqa: E402
from chapar_instance import Instance  # noqa: E402


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Remember each phase's outcome on the item, so fixtures can tell whether
    # the test failed (the standard pytest recipe).
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(scope="session")
def builddir():
    return chapar_instance.builddir()


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory):
    """One self-signed certificate and key per session (RSA keygen is slow)."""
    return chapar_instance.make_tls_pair(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def make_instance(tmp_path, tls_pair, request):
    """Factory: make_instance(options=None, users=None, build=None) -> Instance.
    Each call gets its own sub-directory of tmp_path."""
    made = []

    def factory(options=None, users=None, build=None):
        d = tmp_path / f"instance{len(made)}"
        d.mkdir()
        inst = Instance(d, tls_pair, options=options, users=users, build=build)
        made.append(inst)
        return inst

    yield factory
    rep = getattr(request.node, "rep_call", None)
    reports = []
    for inst in made:
        if rep is not None and rep.failed:
            print(inst.debug_dump())
        inst.teardown()
        reports += inst.sanitizer_reports()
    if reports:
        pytest.fail("sanitizer reports from server processes:\n" +
                    "\n".join(reports), pytrace=False)


@pytest.fixture
def instance(make_instance):
    """An Instance with the default options and users (admin, alice, bob)."""
    return make_instance()
