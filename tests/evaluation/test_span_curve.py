import numpy as np

from deskpilot.evaluation.span_curve import precision_curve, threshold_for


def test_threshold_is_the_lowest_probability_whose_answers_hold_the_target_precision() -> None:
    probability = np.linspace(1.0, 0.01, 100)
    right = np.ones(100, dtype=bool)
    right[[5, 60, 61, 62, 63, 64, 70, 80, 90]] = False
    # Top 61: 2 wrong (0.967); top 62: 3 wrong (0.952); top 63: 4 wrong (0.937), and it never recovers.
    assert threshold_for(probability, right, 0.95) == probability[61]
    assert threshold_for(probability, right, 0.96) == probability[60]


def test_no_threshold_when_the_target_is_never_held() -> None:
    probability = np.linspace(0.9, 0.1, 50)
    right = np.zeros(50, dtype=bool)
    assert threshold_for(probability, right, 0.95) == 1.0


def test_curve_answers_the_most_probable_share_first() -> None:
    probability = np.asarray([0.9, 0.8, 0.2, 0.1])
    right = np.asarray([True, True, False, False])
    f1 = np.asarray([1.0, 0.8, 0.1, 0.0])
    curve = {c["coverage"]: c for c in precision_curve(probability, right, f1)}
    assert curve[1.0]["precision"] == 0.5
    assert curve[0.6]["precision"] == 1.0 and curve[0.6]["min_probability"] == 0.8
    assert curve[0.6]["f1_answered"] == 0.9
