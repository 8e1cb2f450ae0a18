"""Extraction quality must not fall: replay the recorded answers (or ask the model, with --harness-live), score them
against the gold and fail when a field's F1 falls beyond noise from the committed baseline, as `harness gate` would.

Copy this file into your tests; the `harness_eval` fixture comes with the harness (the `pytest11` entry point).
"""


def test_extraction_quality_does_not_fall(harness_eval):
    evaluation = harness_eval(prompt="compact")  # seeds/, gold/, prompts/ and reports/recorded/ of the rootdir
    for field, score in evaluation.scores.items():
        low, high = score.ci["f1"]
        print(f"{field}: P {score.precision:.3f} R {score.recall:.3f} F1 {score.f1:.3f} [{low:.3f}, {high:.3f}]")
    evaluation.assert_no_regression()  # against reports/baseline.json, threshold 0.05 (harness_* options)
