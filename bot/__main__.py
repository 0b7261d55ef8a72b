"""Command line: python -m bot run | chat | ask | kb | calendar | campaign | exam | sandbox."""

from __future__ import annotations

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
