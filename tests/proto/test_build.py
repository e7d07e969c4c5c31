"""Build-system behaviour: configure names the Debian package to install
when a library is missing (simulated with autoconf's cache variables, which
is exactly the answer configure gets on a machine without the package)."""

import os
import subprocess

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("cache_var,package", [
    ("ac_cv_header_db_h=no", "libdb-dev"),
    ("ac_cv_header_tcpd_h=no", "libwrap0-dev"),
    ("ac_cv_header_sasl_sasl_h=no", "libsasl2-dev"),
    ("ac_cv_header_openssl_ssl_h=no", "libssl-dev"),
])
def test_configure_names_missing_package(tmp_path, cache_var, package):
    configure = os.path.join(TOP, "configure")
    if not os.path.exists(configure):
        pytest.fail("run autoreconf -fi first (tests/run-all does)")
    p = subprocess.run([configure, "-q", cache_var], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode != 0
    assert f"apt-get install {package}" in p.stderr


def test_default_paths_are_chapars_own(instance, tmp_path):
    """Without -C every program reads /etc/chapar/imapd.conf, never
    /etc/imapd.conf (Debian's cyrus-common owns that one and it may well be
    installed: our dependency list pulls it in); master looks for its
    table beside it."""
    for prog in ("imap/imapd/imapd", "tools/quota", "imap/server/master"):
        # -U: past the root check (the tests run as root), to the file.
        p = subprocess.run([os.path.join(instance.build, prog), "-U"],
                           cwd=tmp_path, capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL,
                           env=dict(os.environ, LANG="C"))
        if os.path.exists("/etc/chapar/imapd.conf"):
            pytest.fail("/etc/chapar/imapd.conf exists on this machine")
        assert p.returncode != 0, (prog, p.stderr)
        assert "/etc/chapar/imapd.conf" in p.stderr, (prog, p.stderr)
        assert "/etc/imapd.conf" not in p.stderr.replace(
            "/etc/chapar/imapd.conf", ""), (prog, p.stderr)
