"""chainopt: petrochemical value-chain optimisation (Pyomo + HiGHS).

The public verbs live in :mod:`chainopt.api`.
"""

import os as _os

__version__ = "0.1.0"

# openpyxl reads and writes workbooks through lxml when it is installed (python-pptx, for
# the deck, brings it) and through the standard library otherwise; the two differ in
# details chainopt relies on (a formula's saved value, carriage returns in text cells).
# Use the standard-library path always, so a workbook reads and writes the same with or
# without lxml. Set before openpyxl is first imported; a user's own setting wins.
_os.environ.setdefault("OPENPYXL_LXML", "False")
