"""No work at import time: importing the classifier loads no model, dictionary or converter."""

from __future__ import annotations

import subprocess
import sys


def test_import_is_lazy() -> None:
    code = (
        "import sys, classifier, classifier.assess, classifier.batch, classifier.models, classifier.places;"
        "heavy = [m for m in ('jieba', 'sklearn', 'opencc', 'ahocorasick', 'joblib') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lazy_public_names() -> None:
    import classifier

    assert classifier.Classifier.__name__ == "Classifier"
    assert callable(classifier.classify_lines)
