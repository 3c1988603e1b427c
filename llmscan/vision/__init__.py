"""Image-classifier inversion: what a classifier gives away about the images it was trained on.

targets (load a model / endpoint as a probability oracle) -> defenses (wrappers) -> attacks
(white-box MI-Face, black-box NES, ensemble, generative prior) -> metrics (evaluation classifier,
nearest private image, SSIM) -> outputs (npz, PNG grids, metrics.json, report).
"""

from llmscan.vision.attacks import AttackConfig, invert
from llmscan.vision.targets import Target, load_target

__all__ = ["AttackConfig", "Target", "invert", "load_target"]
