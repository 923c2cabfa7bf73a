"""The visible-test helpers say how far off an answer is."""
import re

import pytest

from trainlab.lesson.expectations import NotAnsweredError, expect_choice, expect_close, expect_permutation, require


def test_close_passes_within_tolerance():
    expect_close("x", 1.0005, 1.0, rtol=1e-3)


@pytest.mark.parametrize("got, hint", [(2.0, "exactly double"), (3600.0, "seconds vs hours"),
                                       (100.0, "10^2"), (float("inf"), "overflow"), ("a", "number")])
def test_close_names_the_slip(got, hint):
    with pytest.raises(AssertionError, match=re.escape(hint)):
        expect_close("x", got, 1.0)


def test_require_says_to_run_the_answer_cell():
    with pytest.raises(NotAnsweredError, match="run the answer cell"):
        require(["f"], {})


def test_choice_and_permutation():
    expect_choice("q", "c", "ABCD")
    with pytest.raises(AssertionError):
        expect_choice("q", "E", "ABCD")
    expect_permutation("p", ["b", "a"], ["a", "b"])
    with pytest.raises(AssertionError, match="missing"):
        expect_permutation("p", ["a", "a"], ["a", "b"])
    with pytest.raises(AssertionError, match="not among"):
        expect_permutation("p", ["a", "z"], ["a", "b"])
