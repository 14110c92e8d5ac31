import gzip
import hashlib
import os
import signal
import sys
import time

LOG = "/app/logs/worker.log"
PIDFILE = "/app/run/supervise.pid"
OLD_LOG_SHA = "108b816621e4900197b5021c02615c6e443dd50a68c3e320d04eb7f5aa368a1b"
# on the local (no-Docker) backend the process table is shared with the host; the sandbox
# marker in a process's environment tells this sandbox's processes apart (absent in Docker)
MARK = os.environ.get("TERMINAL_GYM_SANDBOX")
ok = True


def check(cond, msg):
    global ok
    print(("PASS: " if cond else "FAIL: ") + msg, flush=True)
    ok = ok and cond
    return cond


def stat_fields(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rindex(")") + 2 :].split()  # [state, ppid, pgrp, session, ...]


def alive(pid):
    fields = stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def ours(pid):
    if MARK is None:
        return True
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f"TERMINAL_GYM_SANDBOX={MARK}".encode() in f.read().split(b"\0")
    except OSError:
        return False


def workers():
    """Live worker processes of this sandbox (the worker chdirs to /app/svc)."""
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or not alive(int(p)) or not ours(int(p)):
            continue
        args = cmdline(int(p))
        if not any(a.endswith("worker.py") for a in args[1:3]):
            continue
        try:
            # the path in the process's own view: grading may run in a snapshot of the
            # sandbox, whose files are other inodes than those the process sees
            cwd = os.readlink(f"/proc/{p}/cwd")
        except OSError:
            continue
        if cwd == "/app/svc":
            found.append(int(p))
    return sorted(found)


def supervisors():
    return sorted(
        int(p)
        for p in os.listdir("/proc")
        if p.isdigit()
        and alive(int(p))
        and any("supervise.sh" in a for a in cmdline(int(p)))
        and ours(int(p))
    )


def ppid(pid):
    fields = stat_fields(pid)
    return int(fields[1]) if fields else None


def read_pidfile():
    try:
        with open(PIDFILE) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def wait_for(cond, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


# 1. the log
try:
    with gzip.open("/app/logs/worker.log.1.gz", "rb") as f:
        old = hashlib.sha256(f.read()).hexdigest()
except (OSError, EOFError) as e:
    old = repr(e)
check(old == OLD_LOG_SHA, "worker.log.1.gz holds the flooded log")
current = read(LOG)
check(
    current is not None and b"worker[4101]" not in current and len(current) < 200_000,
    "worker.log was started over",
)

# 2. the waiting jobs were processed
check(read("/app/queue/done/a1.out") == b"INVOICE 2024-0611\n", "job a1 processed")
check(read("/app/queue/done/a2.out") == b"REMINDER FOR CUSTOMER 42\n", "job a2 processed")

# 3. what is running
sup = read_pidfile()
ws = workers()
sups = supervisors()
check(
    sup is not None and alive(sup) and any("supervise.sh" in a for a in cmdline(sup)),
    f"the pidfile names a running supervise.sh (pidfile {sup})",
)
check(sups == [sup], f"exactly one supervisor runs ({sups})")
if not check(
    len(ws) == 1 and ppid(ws[0]) == sup,
    f"exactly one worker runs, as the supervisor's child (workers {ws})",
):
    sys.exit(1)
worker = ws[0]

with open("/app/queue/incoming/verify-1.job", "w") as f:
    f.write("check one\n")
check(
    wait_for(lambda: read("/app/queue/done/verify-1.out") == b"CHECK ONE\n", 6),
    "a new job is processed",
)
size = len(read(LOG) or b"")
time.sleep(3)
grown = len(read(LOG) or b"") - size
check(grown < 4096, f"the log grows slowly while all is well ({grown} bytes in 3 s)")

# 4. the worker dies: restarted after about 2 seconds, not in a tight loop
os.kill(worker, signal.SIGKILL)
killed = time.monotonic()
time.sleep(1.0)
early = [w for w in workers() if w != worker]
check(not early, f"no restart within the first second ({early})")
back = wait_for(lambda: len(workers()) == 1 and workers()[0] != worker, 8)
took = time.monotonic() - killed
ws = workers()
check(back and ppid(ws[0]) == sup, f"the worker is restarted by the supervisor ({took:.1f}s, {ws})")
with open("/app/queue/incoming/verify-2.job", "w") as f:
    f.write("check two\n")
check(
    wait_for(lambda: read("/app/queue/done/verify-2.out") == b"CHECK TWO\n", 6),
    "the restarted worker processes jobs",
)

# 5. SIGTERM to the supervisor stops everything
if sup and alive(sup):
    os.kill(sup, signal.SIGTERM)
gone = wait_for(lambda: not alive(sup) and not workers(), 10)
check(gone, f"SIGTERM stops the supervisor and its worker (workers left: {workers()})")
check(wait_for(lambda: not os.path.exists(PIDFILE), 2), "the supervisor removes its pidfile")
for w in workers():
    os.kill(w, signal.SIGKILL)
sys.exit(0 if ok else 1)
