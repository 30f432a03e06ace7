"""chainopt: petrochemical value-chain optimisation (Pyomo + HiGHS).

The public verbs live in :mod:`chainopt.api`.
"""

__version__ = "0.1.0"
