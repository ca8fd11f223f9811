"""Scalar-or-array types: every rule in ``policy`` takes Python floats (the emulator) or numpy arrays
(the fleet model) and answers in kind."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
Time = float | FloatArray
"""Seconds (``*_s``) or days (``*_days``), as the name says."""
Flag = bool | BoolArray
Count = int | IntArray
