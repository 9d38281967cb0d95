"""tensorferry: find, fix and prove risky NumPy <-> PyTorch conversions.

Importing this package is cheap: it never imports torch or numpy, and libcst is loaded
only when a file actually needs parsing.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
