"""``python -m dlbook.grading``: see :mod:`dlbook.grading.cli`.

A ``__main__`` module of the package (rather than ``python -m`` on a module that
``dlbook/__init__`` already imported) is what keeps runpy from warning.
"""

import sys

from .cli import main

sys.exit(main())
