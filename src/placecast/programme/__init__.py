"""Recovery programme: invest-to-save cases, per-case cost-benefit, realised cost avoidance,
savings programme (MTFP) and milestones."""

from placecast.programme.avoidance import CaseBenefit, RealisedEvent, realised_avoidance
from placecast.programme.invest_to_save import InvestToSave
from placecast.programme.plan import Plan, PlanFileError, read_plan
from placecast.programme.savings import Milestone, SavingsLine, SavingsProgramme

__all__ = ["CaseBenefit", "InvestToSave", "Milestone", "Plan", "PlanFileError", "RealisedEvent", "SavingsLine",
           "SavingsProgramme", "read_plan", "realised_avoidance"]
