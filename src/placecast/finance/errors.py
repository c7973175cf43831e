"""Located errors for finance input files (see :class:`placecast.errors.LocatedInputError`)."""

from __future__ import annotations

from placecast.errors import LocatedInputError, LocatedProblem

InputProblem = LocatedProblem


class FinanceInputError(LocatedInputError):
    what = "the finance input"
