"""Every candidate of the study by name (style rule 11): the baseline, the service, the challengers.

`gbm_const` is the bar to beat; `default` is the pricer service's own code as configured today.
"""

from __future__ import annotations

from hourmm_lab.calibration.candidates import MODELS, FitFn, constant, normal
from hourmm_lab.calibration.service import fit_service_default

CANDIDATES: dict[str, FitFn] = {"gbm_const": normal(constant), "default": fit_service_default, **MODELS}
