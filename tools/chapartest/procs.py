"""Private instances and their processes for the test tools: start an
instance (imapd inetd style on a loopback port), log in and find the imapd
serving the connection, SIGKILL and reap a process, run a tool, stop
everything by pid (close).  A mixin: the class using it sets build,
workdir, tls, instances, kept, _ports and out (Harness.__init__)."""

import contextlib
import os
import shutil
import signal
import subprocess
import time

from . import ci
from .imap import OPTIONS, HarnessError, Imap


def connect_login(port, user, password, timeout=None):
    """A logged-in Imap session on 127.0.0.1:port (HarnessError if LOGIN
    is refused)."""
    c = ci.LineClient.connect(port, **({"timeout": timeout} if timeout
                                       else {}))
    s = Imap(c)
    try:
        c.expect(r"^\* OK ")
        st, lines = s.cmd(f"LOGIN {user} {password}")
        if st != "OK":
            raise HarnessError(f"LOGIN {user}: {lines[-1]}")
        return s
    except BaseException:
        s.close()
        raise


class Procs:
    """Instances and processes (see the module docstring)."""

    def say(self, text):
        if self.out:
            print(text, file=self.out, flush=True)

    # -- instances and processes
    def instance(self, name):
        d = os.path.join(self.workdir, name)
        os.makedirs(d)
        inst = ci.Instance(d, self.tls, options=OPTIONS, build=self.build)
        self.instances.append(inst)
        self._ports[id(inst)] = {
            "imap": inst.serve_tcp(inst.argv("imap/imapd/imapd"))}
        return inst

    def lmtp_port(self, inst):
        ports = self._ports[id(inst)]
        if "lmtp" not in ports:
            ports["lmtp"] = inst.serve_tcp(inst.argv("deliver/lmtpd"))
        return ports["lmtp"]

    def new_proc(self, inst, before, prog, user=None, timeout=5.0):
        """The Popen of the server process that began serving our new
        connection: tracked by the instance, not in before, alive; for
        imapd, the one whose proc file (configdirectory/proc/<pid>) names
        the user."""
        deadline = time.monotonic() + timeout
        while True:
            for p in list(inst.procs):
                if p.pid in before or p.returncode is not None or \
                        os.path.basename(p.args[0]) != prog:
                    continue
                if user is None:
                    return p
                with contextlib.suppress(OSError):
                    with open(os.path.join(inst.conf_dir, "proc",
                                           str(p.pid))) as f:
                        fields = f.read().rstrip("\n").split("\t")
                    if len(fields) > 1 and fields[1] == user:
                        return p
            if time.monotonic() > deadline:
                raise HarnessError(f"no {prog} process for the connection")
            time.sleep(0.002)

    def login(self, inst, user, password):
        """A logged-in Imap session on inst's imapd, and its process."""
        before = {p.pid for p in inst.procs}
        s = connect_login(self._ports[id(inst)]["imap"], user, password)
        try:
            return s, self.new_proc(inst, before, "imapd", user)
        except BaseException:
            s.close()
            raise

    @staticmethod
    def kill(inst, p):
        """SIGKILL p (ours, not yet reaped, so its pid cannot have been
        reused), reap it, and remove its proc file as master would.
        True if it was alive."""
        alive = p.poll() is None
        if alive:
            p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(inst.conf_dir, "proc", str(p.pid)))
        return alive and p.returncode == -signal.SIGKILL

    @staticmethod
    def forget_finished(inst):
        """Drop reaped processes from the instance's books.  Its teardown
        signals every process group it ever started; with thousands of
        short-lived processes on a 32768-pid system a recycled pid could
        name somebody else's group by then.  A group is forgotten once its
        leader is reaped and no orphan of it is left (we are a subreaper,
        so orphans are our children)."""
        with inst._lock:
            orphan_groups = {pgid for _, pgid in ci._children_of_self()}
            keep = []
            for p in inst.procs:
                if p.poll() is None or p.pid in orphan_groups:
                    keep.append(p)
                else:
                    inst._pgids.discard(p.pid)
            inst.procs[:] = keep

    def tool(self, inst, prog, *args):
        p = inst.spawn(inst.argv(prog, *args), stdout=subprocess.PIPE)
        try:
            out, _ = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            self.kill(inst, p)
            raise HarnessError(f"{prog} {' '.join(args)} did not finish")
        with contextlib.suppress(OSError), open(p.stderr_path,
                                                errors="replace") as f:
            err = f.read()
        return p.returncode, out.decode(errors="replace"), err

    def close(self):
        """Stop every instance still running; remove the work directory
        unless a failing instance was kept in it."""
        for inst in list(self.instances):
            with contextlib.suppress(Exception):
                inst.teardown()
            # A teardown cut short (Ctrl-C inside it) is not run twice by
            # the instance: kill what is left of ours, by pid.
            with contextlib.suppress(Exception):
                for p in list(inst.procs):
                    if p.poll() is None:
                        p.kill()
                        p.wait(timeout=10)
                inst._reap_orphans(kill=True)
            if inst.dir not in self.kept:
                shutil.rmtree(inst.dir, ignore_errors=True)
        self.instances = []
        shutil.rmtree(os.path.join(self.workdir, "tls"), ignore_errors=True)
        with contextlib.suppress(OSError):
            if not os.listdir(self.workdir):
                os.rmdir(self.workdir)
