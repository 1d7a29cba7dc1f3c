"""``python -m sae_desktop`` is the same as the ``sae-desktop`` command."""

import sys

from sae_desktop.cli import main

sys.exit(main())
