"""Start a submission's Jupyter kernel inside limits it cannot lift (Linux).

Run by the grading worker as the kernel's command, this script applies, in order:

* ``resource.setrlimit``: address space (memory), CPU seconds, no core files;
* Landlock (Linux >= 5.13, unprivileged, inherited by every child, cannot be undone): files can
  be written only in the submission's working folder; files can be read only in the Python
  installation, the system folders and the working folder (so neither the masters, the
  hidden tests, nor another submission's folder can be read); from Landlock ABI 4 TCP
  connections are refused except to the kernel's own ports, and from ABI 6 signals to
  processes outside the sandbox are refused;

then replaces itself with ``python -m ipykernel_launcher -f CONNECTION_FILE``. Where Landlock is
missing it starts the kernel with the resource limits only, and says so on stderr.

Usage: python _sandbox.py CONFIG_JSON CONNECTION_FILE. No dlbook import: it must start fast.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import sys

# Landlock constants (linux/landlock.h)
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2
_VERSION = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
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


def landlock_abi() -> int:
    """The Landlock ABI version of the running kernel, 0 when unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        return max(0, int(libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_VERSION))))
    except (OSError, AttributeError):
        return 0


def restrict(read: list[str], write: list[str], ports: list[int]) -> int:
    """Apply Landlock to this process; return the ABI used (0: not applied)."""
    abi = landlock_abi()
    if abi < 1:
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
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


def set_limits(memory_mb: float | None, cpu_seconds: float | None) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_mb:
        limit = int(memory_mb * 2**20)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if cpu_seconds:
        limit = int(cpu_seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit))


def main(argv: list[str]) -> None:
    config, connection_file = json.loads(argv[1]), argv[2]
    with open(connection_file, encoding="utf-8") as f:
        conn = json.load(f)
    ports = [conn[k] for k in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port") if k in conn]
    set_limits(config.get("memory_mb"), config.get("cpu_seconds"))
    abi = 0
    if config.get("landlock", True):
        abi = restrict(config["read"], config["write"], ports)
    if not abi:
        sys.stderr.write("dlbook sandbox: Landlock unavailable; resource limits only\n")
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file])


if __name__ == "__main__":
    main(sys.argv)
