"""``python -m chainopt``: the ``chainopt`` command (:mod:`chainopt.start`)."""

from chainopt.start import main

if __name__ == "__main__":  # pragma: no cover
    main()
