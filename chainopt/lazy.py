"""Deliberately lazy imports: a module that is loaded on first attribute access.

Used where a heavy module is needed by some commands only, so that the others start
fast: ``chainopt --help`` does not load :mod:`chainopt.api` (pandas), and
``chainopt validate`` does not load the model side (the families, highspy). Pyomo is
lazier still: it is imported only inside the functions of the Pyomo path.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """Module ``name``: the loaded one if it is loaded, else one whose code runs on the
    first access to any of its attributes (``importlib.util.LazyLoader``)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return importlib.import_module(name)  # raises the usual ImportError
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module
