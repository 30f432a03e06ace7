"""Deliberately lazy imports: a module that is loaded on first attribute access.

Used where a heavy module is needed by some commands only, so that the others start
fast: ``chainopt --help`` does not load :mod:`chainopt.api` (pandas), and
``chainopt validate`` does not load the model side (the families, highspy). Pyomo is
lazier still: it is imported only inside the functions of the Pyomo path.

Python 3.11's ``importlib.util.LazyLoader`` is not safe across threads: a second thread
asking for an attribute while the first is loading the module found it half made
(``AttributeError: module 'chainopt.solve' has no attribute ...``, two ``api.run`` in
threads of a fresh process). The stand-in here loads its module once, under a lock.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

#: the stand-in's own namespace (its ``__dict__`` attribute is the module's)
_OWN = vars(ModuleType)["__dict__"].__get__


class _LazyModule(ModuleType):
    """Stands in for module ``name`` until an attribute is first asked for: then the
    module is imported (once; a thread asking meanwhile waits for it) and every
    attribute, read, set or deleted, is the module's own; so is its ``__dict__``
    (``vars()``; pytest's monkeypatch reads it to know what to put back: it found the
    stand-in's, without the attribute, and deleted the module's on undoing)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        _OWN(self)["_lazy_lock"] = threading.RLock()
        _OWN(self)["_lazy_module"] = None

    @property
    def __dict__(self) -> dict[str, Any]:  # type: ignore[override]
        return self._loaded().__dict__

    def _loaded(self) -> ModuleType:
        own = _OWN(self)
        module = own["_lazy_module"]
        if module is None:
            with own["_lazy_lock"]:
                module = own["_lazy_module"]
                if module is None:
                    if sys.modules.get(self.__name__) is self:
                        del sys.modules[self.__name__]  # the real module takes its place
                    module = importlib.import_module(self.__name__)
                    own["_lazy_module"] = module
        return module

    def __getattr__(self, attr: str) -> Any:  # (only for what the stand-in lacks)
        return getattr(self._loaded(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(self._loaded(), attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(self._loaded(), attr)


def lazy_module(name: str) -> ModuleType:
    """Module ``name``: the loaded one if it is loaded, else a stand-in that loads it on
    the first access to any of its attributes."""
    if name in sys.modules:
        return sys.modules[name]
    if importlib.util.find_spec(name) is None:
        return importlib.import_module(name)  # raises the usual ImportError
    module = _LazyModule(name)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module
