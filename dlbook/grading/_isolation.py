"""Grader side of the sandbox: bubblewrap's command line, control groups, sandbox users.

Each submission's kernel runs in (first layer, from the operating system):

* a **bubblewrap** sandbox (``bwrap``, Debian's ``bubblewrap``: the sandbox under Flatpak):
  its own PID namespace (it sees only its own processes; when the sandbox's init ends, the
  kernel ends every process in it, double-forked daemons included), an empty network
  namespace (loopback only: no TCP, UDP, raw or abstract-UNIX socket reaches the machine),
  its own IPC and UTS namespaces, a cleared environment with an allow-list of variables
  (``--clearenv``), its own ``/proc``, ``/dev`` and ``/tmp``, read-only binds of the Python
  environment, the course package and the system folders (of ``/etc`` only what the dynamic
  loader and Python need: no ``/etc/shadow``), one writable submission folder (a size-capped
  ``tmpfs``, counted in the memory limit) and the worker's socket folder;
* as root, a user of its own (:func:`sandbox_uid`, no passwd entry, no capability, no
  supplementary group), so that file permissions and ``RLIMIT_NPROC`` apply to it; as an
  unprivileged user, a user namespace (bubblewrap's default);
* a **control group** per submission where the machine offers one (cgroup v2, or the v1
  ``memory`` and ``pids`` hierarchies): memory (``memory.max``/``memory.limit_in_bytes``)
  and process count (``pids.max``) for the whole kernel tree, killed as a whole at the end.

The second layer (rlimits, Landlock) is applied inside by ``_sandbox.py``.

Reference: bubblewrap, https://github.com/containers/bubblewrap (bwrap(1));
cgroups, https://docs.kernel.org/admin-guide/cgroup-v2.html.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SANDBOX_UID_BASE = 3_141_500_000  # throwaway users (no passwd entry), one per parallel slot
SUBMISSION_HOME = "/submission"  # the writable folder, as the kernel sees it
SOCKETS_INSIDE = "/run/dlbook"  # the worker's socket folder, as the kernel sees it (outside /tmp and
# /submission, so that Landlock's sockets-only rule for it is not widened by theirs)
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "passwd", "group",
             "hosts", "host.conf", "mime.types", "alternatives", "fonts")
# Variables a kernel may inherit from the grader's environment (numeric pins, thread counts).
ENV_ALLOW = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "DLBOOK_DEVICE", "DLBOOK_REPRODUCIBLE",
             "ATEN_CPU_CAPABILITY", "MKL_CBWR", "ONEDNN_MAX_CPU_ISA", "OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES",
             "PYTHONHASHSEED", "CUDA_VISIBLE_DEVICES", "TZ")


def sandbox_uid(slot: int) -> int:
    """The throwaway user of a parallel slot: distinct per grader process and slot, so that
    ``RLIMIT_NPROC`` (counted per user) is one submission's own even where two graders run."""
    if not 0 <= slot < 100:
        raise ValueError(f"slot must be in [0, 100), got {slot}")
    return SANDBOX_UID_BASE + (os.getpid() % 10_000) * 100 + slot


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def bwrap_path() -> str | None:
    """Where ``bwrap`` is, or None."""
    return shutil.which("bwrap")


_PROBED: dict[str, tuple[bool, str]] = {}


def check_bwrap() -> tuple[bool, str]:
    """Whether bubblewrap can start a sandbox here (namespaces allowed): ``(ok, why not)``."""
    bwrap = bwrap_path()
    if bwrap is None:
        return False, "bwrap not found (apt-get install bubblewrap)"
    if bwrap in _PROBED:
        return _PROBED[bwrap]
    argv = [bwrap, "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc"]
    argv += [] if is_root() else ["--unshare-user"]
    for d in SYSTEM_DIRS:
        argv += _bind_system(d)
    argv += ["--proc", "/proc", "--dev", "/dev", "--", "/bin/sh", "-c", "exit 0"]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        result = (out.returncode == 0, out.stderr.strip()[-300:] or f"exit code {out.returncode}")
    except (OSError, subprocess.SubprocessError) as err:
        result = (False, f"{type(err).__name__}: {err}")
    _PROBED[bwrap] = result
    return result


def _bind_system(path: str) -> list[str]:
    if os.path.islink(path):
        return ["--symlink", os.readlink(path), path]
    if os.path.isdir(path):
        return ["--ro-bind", path, path]
    return []


def _covered(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def bwrap_argv(read: list[str], sockets: str, env: dict[str, str], home_mb: float, uid: int | None) -> list[str]:
    """The bubblewrap command line (without the command) for one kernel.

    Args:
        read: folders bound read-only at the same path (Python, site-packages, dlbook).
        sockets: the folder shared with the worker (ZeroMQ's IPC sockets, the connection file),
            bound at ``SOCKETS_INSIDE``.
        env: the kernel's whole environment.
        home_mb: size of the writable submission folder (a tmpfs), MiB.
        uid: the sandbox user when grading as root (None otherwise: a user namespace).
    """
    bwrap = bwrap_path()
    if bwrap is None:
        raise RuntimeError("bwrap not found")
    argv = [bwrap, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    if uid is not None:
        # As root bubblewrap keeps every capability unless told: lend only the two that
        # _sandbox.py needs to become the sandbox user (it checks that none is left after).
        argv += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        argv += ["--unshare-user"]
    for d in SYSTEM_DIRS:
        argv += _bind_system(d)
    for name in ETC_FILES:
        argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    bound = [d for d in SYSTEM_DIRS if os.path.isdir(d) and not os.path.islink(d)]
    made: set[str] = set()

    def parents(path: str) -> list[str]:
        # bubblewrap makes a mount point's missing parents 0700: as the sandbox user they could
        # not be crossed, so they are made first, 0755 (empty but for what is bound in them).
        out = []
        for parent in reversed(Path(path).parents):
            p = str(parent)
            if p != "/" and p not in made and not _covered(p, bound):
                made.add(p)
                out += ["--perms", "0755", "--dir", p]
        return out

    # The private /tmp first, then the read-only binds: a Python environment or course checkout
    # that lives under /tmp (a CI clone, say) is bound on top of the empty tmpfs, not hidden by it.
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--perms", "1777", "--size", str(64 * 2**20), "--tmpfs", "/tmp"]
    made.add("/tmp")
    for path in sorted(set(read), key=len):
        if os.path.exists(path) and not _covered(path, bound):
            argv += parents(path) + ["--ro-bind", path, path]
            bound.append(path)
    argv += ["--perms", "0777", "--size", str(int(home_mb * 2**20)), "--tmpfs", SUBMISSION_HOME]
    argv += parents(SOCKETS_INSIDE) + ["--bind", sockets, SOCKETS_INSIDE, "--chdir", SUBMISSION_HOME, "--clearenv"]
    for key, value in sorted(env.items()):
        argv += ["--setenv", key, value]
    return argv


# --------------------------------------------------------------------------------------------
# Control groups
# --------------------------------------------------------------------------------------------


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, fstype, super options) of the cgroup file systems."""
    found = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        left, _, right = line.partition(" - ")
        parts, rparts = left.split(), right.split()
        if len(parts) < 5 or len(rparts) < 3 or rparts[0] not in ("cgroup", "cgroup2"):
            continue
        found.append((parts[4], rparts[0], set(rparts[2].split(","))))
    return found


def _own_groups() -> dict[str, str]:
    """``{controller or '' for v2: path}`` of this process, from /proc/self/cgroup."""
    groups = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return groups
    for line in lines:
        num, controllers, path = line.split(":", 2)
        if num == "0":
            groups[""] = path
        for c in controllers.split(","):
            if c:
                groups[c] = path
    return groups


_V2_PARENT: dict[str, Path] = {}  # where this grader makes its v2 groups (fixed at first use)


@dataclass
class Cgroup:
    """One submission's control groups: memory and pids, in cgroup v2 or v1."""

    kind: str  # "v2" or "v1"
    dirs: list[Path] = field(default_factory=list)

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def pids(self) -> set[int]:
        found = set()
        for d in self.dirs:
            try:
                found.update(int(x) for x in (d / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return found

    def kill(self) -> list[int]:
        """Kill every process in the groups; return their pids."""
        killed: set[int] = set()
        for d in self.dirs:
            if (d / "cgroup.kill").exists():
                try:
                    (d / "cgroup.kill").write_text("1")
                except OSError:
                    pass
        for _ in range(100):  # a process may fork while we kill: pids.max bounds how often
            left = self.pids()
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
                except OSError:
                    pass
            time.sleep(0.02)
        return sorted(killed)

    def remove(self, seconds: float = 30.0) -> None:
        """Remove the groups, killing again what is left while processes finish exiting (a busy
        machine can take seconds to tear down a large process tree)."""
        deadline = time.monotonic() + seconds
        for d in self.dirs:
            while True:
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    self.kill()
                    time.sleep(0.1)

    @classmethod
    def remove_stale(cls, parent: Path, kind: str) -> list[Path]:
        """Remove the submission groups under ``parent`` (a cgroup ``kind`` "v2" or "v1" directory)
        whose grader is no longer running (a grader killed outright leaves its groups behind),
        killing anything still in them. Returns the groups removed."""
        removed = []
        for d in parent.glob("dlbook-*-*"):
            owner = d.name.split("-")[1]
            if not owner.isdigit() or Path(f"/proc/{owner}").exists() or not d.is_dir():
                continue
            group = cls(kind, [d])
            group.kill()
            group.remove(seconds=2.0)
            if not d.exists():
                removed.append(d)
        return removed

    @classmethod
    def create(cls, memory_mb: float | None, pids_max: int) -> Cgroup | None:
        """Make a submission's groups under this process's own; None where the machine does not
        let us (no controller, no permission). First removes the groups that graders no longer
        running left there (:meth:`remove_stale`)."""
        groups, mounts = _own_groups(), _mounts()
        name = f"dlbook-{os.getpid()}-{secrets.token_hex(4)}"
        memory = int(memory_mb * 2**20) if memory_mb else None
        for point, fstype, opts in mounts:  # v2, where memory and pids are both offered
            if fstype != "cgroup2" or "" not in groups:
                continue
            parent = _V2_PARENT.setdefault(point, Path(point + groups[""]))
            cls.remove_stale(parent, "v2")
            try:
                offered = set((parent / "cgroup.controllers").read_text().split())
            except OSError:
                continue
            if not {"memory", "pids"} <= offered:
                continue
            try:
                enabled = set((parent / "cgroup.subtree_control").read_text().split())
                if not {"memory", "pids"} <= enabled:
                    _enable_controllers(parent)
                d = parent / name
                d.mkdir()
            except OSError:
                continue
            group = cls("v2", [d])
            try:
                if memory:
                    (d / "memory.max").write_text(str(memory))
                    if (d / "memory.swap.max").exists():
                        (d / "memory.swap.max").write_text("0")
                (d / "pids.max").write_text(str(pids_max))
            except OSError:
                group.remove()
                continue
            return group
        dirs = []
        for controller in ("memory", "pids"):  # v1
            point = next((p for p, fstype, opts in mounts if fstype == "cgroup" and controller in opts), None)
            if point is None or controller not in groups:
                break
            d = Path(point + groups[controller]) / name
            cls.remove_stale(d.parent, "v1")
            try:
                d.mkdir()
                dirs.append(d)
                if controller == "memory" and memory:
                    (d / "memory.limit_in_bytes").write_text(str(memory))
                    if (d / "memory.memsw.limit_in_bytes").exists():
                        try:
                            (d / "memory.memsw.limit_in_bytes").write_text(str(memory))
                        except OSError:  # swap accounting off
                            pass
                if controller == "pids":
                    (d / "pids.max").write_text(str(pids_max))
            except OSError:
                break
        else:
            return cls("v1", dirs)
        cls("v1", dirs).remove()
        return None


def _enable_controllers(parent: Path) -> None:
    """Enable memory and pids for the children of ``parent``. cgroup v2 refuses that while
    ``parent`` holds processes ("no internal processes"): then this process first moves into a
    leaf of its own (``dlbook-grader-<pid>``), as under a delegated systemd scope."""
    try:
        (parent / "cgroup.subtree_control").write_text("+memory +pids")
        return
    except OSError:
        pass
    leaf = parent / f"dlbook-grader-{os.getpid()}"
    leaf.mkdir(exist_ok=True)
    (leaf / "cgroup.procs").write_text(str(os.getpid()))
    (parent / "cgroup.subtree_control").write_text("+memory +pids")


def describe(bwrap: bool, cgroup: str | None, nproc: bool, landlock: int) -> str:
    """The sandbox mode, as the CSV's ``sandbox`` column says it."""
    if not bwrap:
        return "unsafe-no-sandbox" + (f"+landlock{landlock}" if landlock else "")
    parts = ["bwrap", "root-dropped" if is_root() else "userns", f"cgroup-{cgroup}" if cgroup else "no-cgroup"]
    if not cgroup and nproc:
        parts.append("rlimit-nproc")
    if landlock:
        parts.append(f"landlock{landlock}")
    return "+".join(parts)


def python_paths() -> list[str]:
    """Folders a kernel must read: the Python installation and its packages, and dlbook."""
    import site
    import sysconfig

    paths = {sys.prefix, sys.base_prefix, str(Path(os.path.realpath(sys.executable)).parent.parent),
             str(Path(__file__).resolve().parents[1])}  # the dlbook package folder
    paths.update(site.getsitepackages())
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            paths.add(sysconfig.get_paths()[key])
        except KeyError:
            pass
    return sorted(os.path.realpath(p) for p in paths if os.path.exists(p))
