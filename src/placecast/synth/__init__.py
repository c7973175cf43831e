"""A synthetic council: simulated care histories written as yearly SSDA903 returns."""

from placecast.synth.cohort import CohortSettings, simulate_cohort
from placecast.synth.returns import return_tables, write_returns
from placecast.synth.simulate import SimulationResult, SynthProgramme, SynthSettings, simulate, simulate_forks

__all__ = ["CohortSettings", "SimulationResult", "SynthProgramme", "SynthSettings", "return_tables", "simulate",
           "simulate_cohort", "simulate_forks", "write_returns"]
