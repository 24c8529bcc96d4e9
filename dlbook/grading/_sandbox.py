"""Start a submission's Jupyter kernel inside a sandbox it cannot leave (Linux).

This script is the kernel's command (the grading worker writes it into a kernelspec) and runs
in two stages; it imports nothing from dlbook, so that it starts fast.

``python _sandbox.py CONFIG_JSON CONNECTION_FILE`` (outside, in the worker's context):

1. joins the submission's control groups (``config["cgroup_procs"]``: the ``cgroup.procs``
   files of its memory and pids groups, made by the grader), so that the whole kernel tree
   shares one memory and one process budget;
2. replaces itself with bubblewrap (``config["bwrap"]``, the argv the grader built:
   PID, network, IPC and UTS namespaces, a cleared environment, read-only binds of the Python
   environment and the course package, a private ``/proc``, ``/dev`` and ``/tmp``, one
   writable submission folder), which runs stage 2 inside. Without ``config["bwrap"]``
   (``--unsafe-no-sandbox``) stage 2 runs directly.

``python _sandbox.py --inside CONFIG_JSON CONNECTION_FILE`` (inside the sandbox):

1. reads the connection file (it holds the kernel's key);
2. drops to ``config["uid"]``/``config["gid"]`` when started as root (bubblewrap lent it
   ``CAP_SETUID``/``CAP_SETGID`` for this only) and checks that no capability is left;
3. sets resource limits: address space, CPU seconds, file size, processes
   (``RLIMIT_NPROC``), no core files;
4. applies Landlock (Linux >= 5.13; inherited, cannot be undone): reads only in the bound
   Python and course folders and the system folders, writes only in its own folder; the
   socket folder shared with the worker admits sockets only (no regular file, so no disk
   filling there); from ABI 4 no TCP at all, from ABI 6 no signal out of the sandbox;
5. replaces itself with ``python -m ipykernel_launcher -f CONNECTION_FILE``.

Steps 2-4 are the second layer: bubblewrap's namespaces and the control groups are the first.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys

try:  # Unix only; the grader refuses to start a kernel where this is missing
    import resource
except ImportError:  # pragma: no cover - not Unix
    resource = None  # type: ignore[assignment]

# Landlock constants (linux/landlock.h)
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2
_VERSION = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_REMOVE_DIR, FS_REMOVE_FILE, FS_MAKE_SOCK = 1 << 4, 1 << 5, 1 << 9
FS_WRITE_ALL = sum(1 << i for i in range(4, 13))  # remove dir/file, make char/dir/reg/sock/fifo/block/sym
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
PR_SET_NO_NEW_PRIVS = 38


class _Ruleset(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("fd", ctypes.c_int32)]


class _NetPort(ctypes.Structure):
    _fields_ = [("allowed", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def landlock_abi() -> int:
    """The Landlock ABI version of the running kernel, 0 when unavailable."""
    try:
        return max(0, int(_libc().syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_VERSION))))
    except (OSError, AttributeError):
        return 0


def restrict(read: list[str], write: list[str], ports: list[int], sockets: list[str] = ()) -> int:
    """Apply Landlock to this process; return the ABI used (0: not applied).

    Args:
        read: folders and files that may be read and executed.
        write: folders and files that may be read and written.
        ports: TCP ports that may be bound or connected to (none: no TCP at all).
        sockets: folders where only UNIX sockets may be made (and removed) and files read.
    """
    abi = landlock_abi()
    if abi < 1:
        return 0
    libc = _libc()
    fs = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_READ_DIR | FS_WRITE_ALL
    if abi >= 2:
        fs |= FS_REFER
    if abi >= 3:
        fs |= FS_TRUNCATE
    net = (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0
    attr = _Ruleset(fs, net, scoped)
    # Older kernels accept the larger struct as long as the fields they do not know are zero.
    fd = libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")

    def allow(path: str, access: int) -> None:
        try:
            pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        try:
            is_dir = os.path.isdir(path)
            rule = _PathBeneath(access if is_dir else access & (FS_EXECUTE | FS_READ_FILE | FS_WRITE_FILE
                                                                | (FS_TRUNCATE if abi >= 3 else 0)), pfd)
            if libc.syscall(_ADD_RULE, fd, _RULE_PATH_BENEATH, ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
        finally:
            os.close(pfd)

    for path in read:
        allow(path, FS_EXECUTE | FS_READ_FILE | FS_READ_DIR)
    for path in write:
        allow(path, fs)
    for path in sockets:
        allow(path, FS_READ_FILE | FS_READ_DIR | FS_MAKE_SOCK | FS_REMOVE_FILE)
    if net:
        for port in ports:
            rule = _NetPort(NET_BIND_TCP | NET_CONNECT_TCP, int(port))
            if libc.syscall(_ADD_RULE, fd, _RULE_NET_PORT, ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for port {port}")
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.syscall(_RESTRICT_SELF, fd, ctypes.c_uint32(0)) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    os.close(fd)
    return abi


def set_limits(memory_mb: float | None, cpu_seconds: float | None, file_mb: float | None = None,
               nproc: int | None = None) -> None:
    """Resource limits of this process and its children (soft = hard: they cannot be raised)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_mb:
        limit = int(memory_mb * 2**20)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if cpu_seconds:
        limit = int(cpu_seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit))
    if file_mb:
        limit = int(file_mb * 2**20)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    if nproc:
        resource.setrlimit(resource.RLIMIT_NPROC, (int(nproc), int(nproc)))


def _capabilities() -> dict[str, int]:
    caps = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(("CapPrm:", "CapEff:", "CapAmb:", "CapInh:")):
                key, value = line.split(":")
                caps[key] = int(value, 16)
    return caps


def drop_privileges(uid: int, gid: int) -> None:
    """Become ``uid``/``gid`` for good (real, effective and saved ids), with no capability left."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid):
        raise OSError("could not change user")
    # The inheritable set may keep what bubblewrap lent: without permitted or ambient
    # capabilities, and with no_new_privs (set below), it can never become effective.
    left = {k: v for k, v in _capabilities().items() if v and k != "CapInh"}
    if left:
        raise OSError(f"capabilities left after dropping privileges: {left}")


def outside(config: dict, connection_file: str) -> None:
    """Stage 1: join the control groups, then start bubblewrap (or stage 2 directly)."""
    for procs in config.get("cgroup_procs", []):
        with open(procs, "w", encoding="ascii") as f:  # the grader made it; failure is an error
            f.write(str(os.getpid()))
    bwrap = config.get("bwrap")
    outside_dir, inside_dir = config.get("sockets_outside"), config.get("sockets_inside")
    if bwrap and outside_dir and inside_dir:  # the socket folder is bound elsewhere in the sandbox
        connection_file = os.path.join(inside_dir, os.path.relpath(connection_file, outside_dir))
    inside_argv = [sys.executable, os.path.abspath(__file__), "--inside", json.dumps(config), connection_file]
    if not bwrap:
        inside(config, connection_file)
        return
    os.execv(bwrap[0], [*bwrap, "--", *inside_argv])


def inside(config: dict, connection_file: str) -> None:
    """Stage 2: drop privileges, set limits and Landlock, then start the kernel."""
    with open(connection_file, encoding="utf-8") as f:
        conn = json.load(f)
    outside_dir, inside_dir = config.get("sockets_outside"), config.get("sockets_inside")
    if config.get("bwrap") and outside_dir and inside_dir and conn.get("transport") == "ipc":
        conn["ip"] = os.path.join(inside_dir, os.path.relpath(conn["ip"], outside_dir))
    if _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if config.get("uid") is not None and os.geteuid() == 0:
        drop_privileges(int(config["uid"]), int(config["gid"]))
    elif os.geteuid() == 0 and config.get("bwrap"):
        raise OSError("refusing to run a submission as root: no sandbox uid given")
    # The kernel reads (and rewrites) its own copy, in its own folder.
    home = config.get("home") or os.path.dirname(connection_file)
    own = os.path.join(home, ".kernel.json")
    fd = os.open(own, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(conn, f)
    ports = [conn[k] for k in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
             if k in conn and conn.get("transport", "tcp") == "tcp"]
    set_limits(config.get("memory_mb"), config.get("cpu_seconds"), config.get("file_mb"), config.get("nproc"))
    abi = 0
    if config.get("landlock", True):
        abi = restrict(config["read"], config["write"], ports, config.get("sockets", []))
    if not abi:
        sys.stderr.write("dlbook sandbox: Landlock unavailable; namespaces and resource limits only\n")
    os.chdir(home)
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", own])


def main(argv: list[str]) -> None:
    if len(argv) > 1 and argv[1] == "--inside":
        inside(json.loads(argv[2]), argv[3])
    else:
        outside(json.loads(argv[1]), argv[2])


if __name__ == "__main__":
    main(sys.argv)
