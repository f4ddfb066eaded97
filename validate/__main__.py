"""``python -m validate`` is the same CLI as ``gitops-validate``."""

import sys

from validate.cli import main

sys.exit(main())
