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
