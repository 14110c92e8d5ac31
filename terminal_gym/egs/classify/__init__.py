"""Command tables: every simple command -> inspect, act, verify or unknown, with paths.

This package holds the program-level half of EGS command analysis (the shell-level half
is :mod:`terminal_gym.egs.parse`):

- :data:`Kind`, :class:`CommandLabel`: the public per-command label.
- :func:`classify`: one action -> the labels of its simple commands.
- :func:`normalize_path`, :func:`parent_dir`: the path rules shared with
  :mod:`terminal_gym.egs.tor`.
- :class:`CommandRecord`, :class:`ActionRecord`, :func:`classify_action`: the richer,
  cached form the trajectory analysis works from.

Its modules, bottom up: :mod:`.core` (the types, paths and option parsing),
:mod:`.registry` (command name -> handler; a name registered twice is an error),
:mod:`.driver` (dispatch and the entry points), :mod:`.tools` (programs driven by
subcommands), then one module per domain, each registering its handlers with
``@handles(...)``: :mod:`.files`, :mod:`.archives`, :mod:`.text`, :mod:`.editors`,
:mod:`.vcs`, :mod:`.packages`, :mod:`.build`, :mod:`.checks`, :mod:`.interpreters`,
:mod:`.network`, :mod:`.services`, :mod:`.databases`, :mod:`.system` and
:mod:`.wrappers`. Importing this package imports them all, which fills the registry.

The classes (DESIGN §6):

- **inspect** reads state: ``cat less more head tail ls find grep rg ag wc stat file du
  df tree diff cmp which type ps top env printenv id whoami pwd``, ``echo``/``printf``,
  ``git status|log|diff|show|blame|branch|remote -v...``, ``pip list|show|freeze``,
  ``apt list|show|policy``, ``systemctl status``, ``docker ps|logs|images...``, ``jq``,
  ``awk``/``sed`` without in-place editing, ``sqlite3``/``psql``/``mysql`` whose SQL only
  reads, ``python -c`` code that only reads or prints (a regex heuristic), ``netstat``
  ``ss`` ``ip`` ``dig``, ``tar -t``, ``unzip -l``, ``curl``/``wget`` to stdout, ``--help``
  or ``--version`` of any program.
- **act** changes state: any output redirection to a file (``>``, ``>>``, ``&>``,
  ``cat > f <<EOF``), ``tee FILE``, ``cp mv rm mkdir touch chmod chown ln install dd
  rsync``, ``sed -i``, ``perl -i``, ``awk -i inplace``, editors (``vi vim nano ed emacs``
  ...), ``patch``, ``git add|commit|checkout|reset|merge|rebase|stash|apply...``,
  installs (``pip apt apt-get yum dnf apk npm yarn cargo gem brew conda``), builds
  (``make`` without a test target, ``gcc``, ``cargo build``, ``npm run build``), running a
  script or program (``python x.py``, ``bash x.sh``, ``./run``, ``node x.js``), ``python
  -c`` code that writes, deletes or spawns, ``kill``/``pkill``, ``service``/``systemctl``
  ``start|stop|restart``, ``docker run|build|exec...``, ``tar -x``/``unzip``, ``curl -o``,
  ``wget``, writing SQL, formatters that rewrite (``black``, ``ruff format``,
  ``prettier --write``).
- **verify** checks an outcome: test runners (``pytest``, ``python -m pytest|unittest``,
  ``tox``, ``jest``, ``go test``, ``cargo test``, ``npm test``, ``make test|check``...),
  linters and type checkers (``mypy``, ``ruff check``, ``flake8``, ``eslint``, ``tsc
  --noEmit``), formatters in check mode, syntax checks (``bash -n``, ``python -m
  py_compile``, ``node --check``, ``nginx -t``), ``test``/``[``/``[[``, ``echo $?``,
  ``git diff --check``, ``systemctl is-active``, ``kill -0``, ``sha256sum -c``, ``patch
  --dry-run``, ``git apply --check``, and scripts named like tests (``test_x.py``,
  ``run_tests.sh``, ``manage.py test``). Two more verify rules need the trajectory and
  live in :mod:`terminal_gym.egs.tor`: an inspect that re-reads a path an earlier act
  wrote (or its parent directory), and a request to a local service once something has
  acted.
- **unknown**: shell bookkeeping that neither reads nor changes the environment (``cd``,
  ``export``, ``source``, ``set``, ``sleep``, ``true``, ``clear``...), interactive
  programs started without input (``python``, ``bash``, ``sqlite3 db``), and **every
  command not in the tables** — *unless it writes a file through a redirection, which
  makes it act*. A program named by a path (``./x``, ``/opt/tool/bin/run``) is not
  unknown: running it is act, executing that path.

Output captured from a verify command (its own ``>``/``>>`` or a ``tee`` later in its
pipeline, e.g. ``pytest 2>&1 | tee log``) keeps the verify class; the captured file is
still listed in ``writes``.

Wrappers are seen through and the inner command is classified: ``sudo``, ``doas``,
``env [-i] [-C DIR] [X=1]``, ``nohup``, ``time``, ``timeout N``, ``nice``, ``ionice``,
``stdbuf``, ``exec``, ``command``, ``builtin``, ``xargs``, ``watch``, ``strace``,
``flock``, ``setsid``, ``chroot``, ``su -c``, ``runuser``, ``xvfb-run``; ``bash -c``/``sh
-c``/``eval``/``watch`` strings and ``bash``/``sh`` fed by a heredoc, here-string or
``echo ... |`` are parsed recursively; ``find -exec CMD {}`` classifies ``CMD`` too, with
``{}`` standing for ``START/**`` (``START/**/NAME`` with ``-name``); ``poetry run``, ``uv
run``, ``pipenv run``, ``conda run``, ``bundle exec``, ``npx`` classify the tool they run.
``docker exec`` keeps the inner command's class but no paths (they are inside another
container).

Names are the program's base name, subcommand-aware where the program has them: ``git
status``, ``pip install``, ``apt-get install``, ``systemctl restart``, ``docker compose
up``, ``npm run test``, ``make test``, ``python -c``, ``python -m pytest``. ``python3``/
``python3.11`` are named ``python``, ``pip3`` is ``pip``.

Paths are normalized with :mod:`posixpath` against the cwd the command runs in:
relative paths become absolute, ``~`` and ``$HOME`` become ``/root``, ``$PWD`` the cwd,
``.``/``..`` collapse, trailing slashes go. Globs stay as text (``/app/*.py``); a glob's
parent is its deepest glob-free directory. A word starting with an unknown ``$VAR`` is
kept verbatim. ``/dev/null``, ``/dev/std*``, ``/dev/tty``, ``/dev/fd/*`` are never
listed. ``reads`` holds what a command reads or lists; ``writes`` what it writes,
creates, deletes, or executes as a program or instruction file (the script of ``python
x.py``, the ``Makefile`` of ``make``, the ``-r`` file of ``pip install``, the Dockerfile
of ``docker build``). Git commands acting on the repository as a whole (``commit``,
``merge``, ``reset --hard``) write the cwd; branch and ref names are not paths. A
``cd`` moves the cwd for the rest of the action, except inside a subshell, a pipeline
part or a ``bash -c`` string.
"""

from __future__ import annotations

# The domain modules register their handlers when imported; nothing else uses them here.
from terminal_gym.egs.classify import (  # noqa: F401
    archives,
    build,
    checks,
    databases,
    editors,
    files,
    interpreters,
    network,
    packages,
    services,
    system,
    text,
    vcs,
    wrappers,
)
from terminal_gym.egs.classify.core import (
    ActionRecord,
    CommandLabel,
    CommandRecord,
    Kind,
    is_glob,
    normalize_path,
    parent_dir,
)
from terminal_gym.egs.classify.driver import (
    _classify_text,  # noqa: F401  the uncached driver, for the tests
    classify,
    classify_action,
)
from terminal_gym.egs.classify.registry import DuplicateCommandError
from terminal_gym.egs.classify.registry import handlers as _HANDLERS  # noqa: F401  for the tests

__all__ = [
    "ActionRecord",
    "CommandLabel",
    "CommandRecord",
    "DuplicateCommandError",
    "Kind",
    "classify",
    "classify_action",
    "is_glob",
    "normalize_path",
    "parent_dir",
]
