"""The shell and the system: bookkeeping, system information, processes, administration.

- shell bookkeeping that neither reads nor changes anything (``cd``, ``export``,
  ``sleep``...): unknown;
- programs that report on the system without naming paths (``ps``, ``uname``,
  ``journalctl``, ``man``...): inspect;
- ``kill``/``pkill`` (act; ``kill -0`` verifies), commands that look without arguments
  and change state with them (``sysctl``, ``iptables``, ``crontab``, ``date``...), and
  user and system administration (``useradd``, ``modprobe``, ``reboot``...): act.
"""

from __future__ import annotations

from terminal_gym.egs.classify.core import Acc, Ctx, acc, opts, word_set
from terminal_gym.egs.classify.registry import handles

_SYSTEM_INFO = word_set(
    "pwd whoami id groups users who w last lastlog uname arch hostnamectl nproc lscpu "
    "lsblk lspci lsusb lsmod free uptime vmstat iostat mpstat sar ps pstree pgrep "
    "pidof top htop atop btop printenv locale tty getconf getent man info help "
    "apropos whatis tldr jobs history findmnt blkid nvidia-smi dmesg journalctl "
    "timedatectl lsof which whereis type locate mlocate plocate compgen cal ncal "
    "basename dirname fc-list lsipc lslocks logname getenforce sestatus ulimit"
)
_NEUTRAL = word_set(
    "cd pushd popd export set unset alias unalias shopt source . declare local "
    "readonly typeset trap umask read shift return break continue true false : sleep "
    "wait clear reset exit logout fg bg disown stty tput sync hash let getopts "
    "mapfile readarray yes seq expr bc dc"
)

_ADMIN = word_set(
    "useradd userdel usermod groupadd groupdel groupmod adduser deluser addgroup passwd"
    " chpasswd chsh ldconfig locale-gen update-locale update-ca-certificates reboot shutdown"
    " halt poweroff modprobe insmod rmmod swapoff setenforce mkswap mkfs at batch"
)


@handles(*_SYSTEM_INFO)
def _h_system_info(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """Reports on the system; its arguments, if any, are not paths."""
    return acc(name, "inspect")


@handles(*_NEUTRAL)
def _h_neutral(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """Shell bookkeeping; ``source FILE`` still reads its file."""
    if name in ("source", ".") and args:
        return acc(name, "unknown", ctx.paths(args[:1]))
    return acc(name, "unknown")


@handles(*_ADMIN)
def _h_admin(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """User and system administration: always changes the system."""
    return acc(name, "act")


@handles("kill", "pkill", "killall", "fuser", "xkill")
def _h_kill(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    if name == "kill" and args[:1] == ["-0"]:
        return acc(name, "verify")
    if name == "kill" and args[:1] in (["-l"], ["-L"]):
        return acc(name, "inspect")
    if name == "fuser" and not any(a.startswith("-") and "k" in a for a in args):
        return acc(name, "inspect", ctx.paths(w for w in args if not w.startswith("-")))
    return acc(name, "act")


@handles(
    "ip",
    "sysctl",
    "iptables",
    "ip6tables",
    "nft",
    "ufw",
    "date",
    "hwclock",
    "crontab",
    "update-alternatives",
    "ssh-keygen",
    "hostname",
    "mount",
    "umount",
    "ifconfig",
    "localectl",
    "swapon",
)
def _h_state_or_look(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """Commands that look without arguments and change state with them."""
    operands = [a for a in args if not a.startswith("-")]
    if name == "ip":
        mutating = {"add", "del", "delete", "set", "flush", "change", "replace", "up", "down"}
        return acc(name, "act" if mutating & set(operands) else "inspect")
    if name == "sysctl":
        act = any(a in ("-w", "--write", "-p", "--load") for a in args) or any(
            "=" in a for a in operands
        )
        return acc(name, "act" if act else "inspect")
    if name in ("iptables", "ip6tables", "nft", "ufw"):
        look = {"-L", "--list", "-S", "--list-rules", "list", "status", "show"}
        return acc(name, "inspect" if look & set(args) else "act")
    if name in ("date", "hwclock"):
        return acc(name, "act" if {"-s", "--set", "--systohc", "-w"} & set(args) else "inspect")
    if name == "crontab":
        if "-l" in args:
            return acc(name, "inspect")
        return acc(name, "act", ctx.paths(operands))
    if name == "update-alternatives":
        look = {"--display", "--list", "--query", "--get-selections"}
        return acc(name, "inspect" if look & set(args) else "act")
    if name == "ssh-keygen":
        if {"-l", "-y", "-F", "-H"} & set(args):
            return acc(name, "inspect")
        return acc(
            name, "act", writes=ctx.paths(opts(args, word_set("-f -t -b -C -N")).values("-f"))
        )
    # hostname, mount, ifconfig, localectl, timedatectl-like: arguments change state
    return acc(name, "act" if operands else "inspect")
