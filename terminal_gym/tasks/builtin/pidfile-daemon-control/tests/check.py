import os
import signal
import subprocess
import sys
import time

CTL = "/app/bin/syncctl"
PIDFILE = "/app/var/run/syncd.pid"
LOG = "/app/var/log/syncd.log"
DAEMON = "/app/svc/syncd.py"
MARK = os.environ.get("TERMINAL_GYM_SANDBOX")
ok = True
decoys = []


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
    return data[data.rindex(")") + 2 :].split()  # fields from "state" on


def alive(pid):
    fields = stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def ours(pid):
    """On the local (no-Docker) backend the process table is shared with the host; the
    sandbox marker in a process's environment tells this sandbox's processes apart."""
    if MARK is None:
        return True
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f"TERMINAL_GYM_SANDBOX={MARK}".encode() in f.read().split(b"\0")
    except OSError:
        return False


def is_syncd(pid):
    """A live process running /app/svc/syncd.py in this sandbox (its cwd is /app/svc)."""
    if not alive(pid) or not ours(pid):
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        # the path in the process's own view: grading may run in a snapshot of the
        # sandbox, whose files are other inodes than those the process sees
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    if cwd != "/app/svc":
        return False
    return any(os.path.normpath(os.path.join("/app/svc", a)) == DAEMON for a in args[1:3])


def syncd_pids():
    return sorted(int(p) for p in os.listdir("/proc") if p.isdigit() and is_syncd(int(p)))


def pidfile():
    try:
        with open(PIDFILE) as f:
            text = f.read().strip()
        return int(text)
    except (OSError, ValueError):
        return None


def log_text():
    try:
        with open(LOG, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def ctl(*args, timeout=30):
    t0 = time.monotonic()
    try:
        p = subprocess.run(
            [CTL, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        rc, out = p.returncode, (p.stdout + p.stderr).strip()
    except subprocess.TimeoutExpired:
        rc, out = "timeout", ""
    except OSError as e:
        rc, out = f"cannot run: {e}", ""
    return rc, out, time.monotonic() - t0


def wait_for(cond, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def decoy(tag):
    p = subprocess.Popen(
        ["python3", "-c", "import time; time.sleep(300)", tag],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    decoys.append(p)
    return p


def finish():
    try:
        pid = pidfile()
        if pid and is_syncd(pid):
            os.kill(pid, signal.SIGTERM)
    except OSError:
        pass
    for p in decoys:
        try:
            p.kill()
        except OSError:
            pass
    sys.exit(0 if ok else 1)


# 0. the state the agent left behind
pids = syncd_pids()
if not check(
    len(pids) == 1 and pidfile() == pids[0],
    f"syncd is running and the pidfile names it (syncd pids {pids}, pidfile {pidfile()})",
):
    finish()
pid = pids[0]
try:
    fd0 = os.readlink(f"/proc/{pid}/fd/0")
    fd1 = os.readlink(f"/proc/{pid}/fd/1")
except OSError:
    fd0 = fd1 = ""
check(fd0 == "/dev/null", f"daemon's stdin is /dev/null ({fd0!r})")
check(fd1.endswith("/var/log/syncd.out"), f"daemon's stdout goes to syncd.out ({fd1!r})")

watchdog = decoy("syncd-watchdog")
other = decoy("worker")

rc, out, _ = ctl("status")
check(rc == 0, f"status while running -> 0 (got {rc}: {out})")
rc, out, _ = ctl("start")
check(
    rc == 0 and pidfile() == pid and syncd_pids() == [pid],
    f"start while running keeps the single instance "
    f"(rc {rc}, pidfile {pidfile()}, pids {syncd_pids()})",
)
rc, out, _ = ctl("reload")
check(
    rc == 0 and wait_for(lambda: f"syncd[{pid}]: SIGHUP" in log_text(), 3),
    f"reload sends SIGHUP to the daemon (rc {rc})",
)

rc, out, took = ctl("stop")
check(rc == 0, f"stop -> 0 (got {rc}: {out})")
check(not alive(pid), "stop ends the daemon")
check(
    f"syncd[{pid}]: clean shutdown" in log_text(),
    "stop lets the daemon shut down cleanly (SIGTERM)",
)
check(not os.path.exists(PIDFILE), "stop removes the pidfile")
check(watchdog.poll() is None and other.poll() is None, "stop leaves other Python processes alone")
rc, out, _ = ctl("status")
check(rc == 3, f"status without pidfile -> 3 (got {rc})")
rc, out, _ = ctl("reload")
check(rc == 7, f"reload while stopped -> 7 (got {rc})")
rc, out, _ = ctl("stop")
check(rc == 0, f"stop while stopped -> 0 (got {rc})")

# stale pidfiles: a dead PID, then a PID that now belongs to another process
gone = subprocess.Popen(["true"])
gone.wait()
with open(PIDFILE, "w") as f:
    f.write(f"{gone.pid}\n")
rc, out, _ = ctl("status")
check(rc == 1, f"status with a dead PID in the pidfile -> 1 (got {rc})")
with open(PIDFILE, "w") as f:
    f.write(f"{watchdog.pid}\n")
rc, out, _ = ctl("status")
check(rc == 1, f"status with a reused PID (another process) -> 1 (got {rc})")
rc, out, _ = ctl("stop")
check(rc == 0 and watchdog.poll() is None, "stop with a reused PID does not kill that process")
with open(PIDFILE, "w") as f:
    f.write(f"{watchdog.pid}\n")
rc, out, _ = ctl("start")
new = pidfile()
check(
    rc == 0 and new is not None and new != watchdog.pid and syncd_pids() == [new],
    f"start replaces a stale pidfile (rc {rc}, pidfile {new}, pids {syncd_pids()})",
)
check(watchdog.poll() is None, "the process with the reused PID is still alive")

# detachment: restart from a shell in its own process group, then kill that group
before = pidfile()
sh = subprocess.Popen(
    ["bash", "-c", f"{CTL} restart >/dev/null 2>&1; sleep 60"],
    start_new_session=True,
    stdin=subprocess.DEVNULL,
)
decoys.append(sh)
started = wait_for(lambda: pidfile() not in (None, before) and is_syncd(pidfile()), 20)
check(started, f"restart starts a new daemon (pidfile {before} -> {pidfile()})")
time.sleep(0.5)
os.killpg(sh.pid, signal.SIGKILL)
sh.wait()
time.sleep(1.0)
after = pidfile()
check(
    after is not None and is_syncd(after),
    "the daemon survives when the calling shell's group is killed",
)
fields = stat_fields(after) if after else None
check(fields is not None and int(fields[3]) != sh.pid, "the daemon runs in its own session")
check(syncd_pids() == ([after] if after else []), f"exactly one syncd instance ({syncd_pids()})")
check(other.poll() is None and watchdog.poll() is None, "other Python processes are untouched")
finish()
