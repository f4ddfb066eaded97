"""gitops-validate: an offline validator for a Seldon Core + Argo CD GitOps repository.

The data path runs one way: discover -> load -> lint -> render -> schema -> rules -> report.
Each stage is a module with one job; :mod:`validate.pipeline` strings them together.
"""

__version__ = "0.2.0"
