"""``python -m validate`` is the same CLI as ``gitops-validate``."""

from validate.cli import entry

entry()
