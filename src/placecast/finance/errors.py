"""Located errors for finance input files (see :class:`placecast.errors.LocatedInputError`)."""

from __future__ import annotations

from placecast.errors import LocatedInputError, LocatedProblem

InputProblem = LocatedProblem


class FinanceInputError(LocatedInputError):
    """A finance input file has problems; ``problems`` lists every one, located."""

    what = "the finance input"
