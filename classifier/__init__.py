"""classifier package: text → Assessment (units concerned, places, category, figures, grade).

Public API (imported lazily, so importing the package does no work):

- ``Classifier(units, model_dir=None)`` then ``.assess(item_id, title, text, published_at=None, url="")``
- ``classify_lines(lines, out, classifier, on_error=None)`` → ``BatchStats``; ``assessment_to_dict(a)``
- ``train(out_dir, labels=..., ...)``, ``load(model_dir)``, ``evaluate(model, labelled)`` (classifier.models)
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "Classifier": "classifier.assess",
    "RULES_ONLY": "classifier.assess",
    "classify_lines": "classifier.batch",
    "assessment_to_dict": "classifier.batch",
    "BatchStats": "classifier.batch",
    "train": "classifier.models",
    "load": "classifier.models",
    "evaluate": "classifier.models",
    "RouterModel": "classifier.models",
    "ClassifierError": "classifier.errors",
    "DataFileError": "classifier.errors",
    "ModelError": "classifier.errors",
    "JurisdictionError": "classifier.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'classifier' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
