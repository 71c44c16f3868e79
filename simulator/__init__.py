"""A local simulator of a prefecture's government websites and new-media accounts, with its ground truth."""

from simulator.scenario import Scenario, ScenarioError, demo_path, load_scenario

__all__ = ["Scenario", "ScenarioError", "demo_path", "load_scenario"]
