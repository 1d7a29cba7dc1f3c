"""``python -m sae_desktop`` is the same as the ``sae-desktop`` command."""

import sys


def run() -> int:
    try:  # Ctrl+C while the imports still run is a clean exit too, not a traceback
        from sae_desktop.cli import main

        return main()
    except KeyboardInterrupt:
        sys.stderr.write("sae-desktop: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(run())
