"""``python -m terminal_gym.cli``: the ``terminal-gym`` command."""

import sys

from terminal_gym.cli import main

if __name__ == "__main__":
    sys.exit(main())
